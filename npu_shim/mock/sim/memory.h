// Device memory of the simulated NPUs: a capacity per device, real backing pages (so copies
// move real bytes), and the bookkeeping that keeps aclrtGetMemInfo consistent with allocations.
//
// Backing memory is mmap'ed with MAP_NORESERVE: a 64 GiB "HBM" costs nothing until touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

namespace npumock {

struct PhysicalBlock {
  int device = -1;
  size_t size = 0;
  int mappings = 0;
};

struct DeviceMemoryStats {
  uint64_t used = 0;  // bytes charged against capacity (plain + physical)
  uint64_t peak = 0;
  uint64_t allocs = 0;
  uint64_t frees = 0;
  uint64_t failures = 0;
};

class MemoryManager {
 public:
  // Plain device allocation (aclrtMalloc / aclrtMallocAlign32). Returns an ACL error code.
  int malloc_device(int device, size_t size, void **out);
  int free_device(void *ptr);
  int malloc_host(size_t size, void **out);
  int free_host(void *ptr);

  // Virtual memory family (expandable segments).
  int reserve(int device, size_t size, size_t alignment, void **out);
  int release(void *va);
  int malloc_physical(int device, size_t size, PhysicalBlock **out);
  int free_physical(PhysicalBlock *block);
  int map(void *va, size_t size, size_t offset, PhysicalBlock *block);
  int unmap(void *va);

  // True when [p, p+n) lies inside one device allocation or mapped range; *device gets its id.
  bool is_device_range(const void *p, size_t n, int *device);
  bool is_host_pinned(const void *p);

  void mem_info(int device, uint64_t *free_bytes, uint64_t *total_bytes);
  DeviceMemoryStats stats(int device);

 private:
  struct Range {
    size_t size;
    int device;
    enum Kind { Plain, Reserved, Mapped } kind;
    PhysicalBlock *block;  // Mapped only
  };
  bool charge(int device, size_t size);  // false = capacity exhausted (counts a failure)
  void uncharge(int device, size_t size);
  const Range *find_locked(const void *p, size_t n, const void **base) const;

  std::mutex mu_;
  std::map<uintptr_t, Range> device_ranges_;  // plain allocations and reservations
  std::map<uintptr_t, Range> mapped_;         // mapped sub-ranges inside reservations
  std::map<uintptr_t, size_t> host_;
  std::map<const PhysicalBlock *, bool> blocks_;
  DeviceMemoryStats per_device_[64];
};

MemoryManager &memory();

}  // namespace npumock
