#include "sim/memory.h"

#include <sys/mman.h>

#include <cstdlib>

#include "npu/acl_api.h"
#include "sim/knobs.h"

namespace npumock {
namespace {

void *map_pages(size_t size, int prot) {
  void *p = mmap(nullptr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

MemoryManager &memory() {
  static auto *m = new MemoryManager;
  return *m;
}

bool MemoryManager::charge(int device, size_t size) {
  DeviceMemoryStats &s = per_device_[device];
  const uint64_t capacity = knobs().hbm_bytes - knobs().hbm_reserved_bytes;
  if (size > capacity || s.used > capacity - size) {
    ++s.failures;
    return false;
  }
  s.used += size;
  if (s.used > s.peak) s.peak = s.used;
  ++s.allocs;
  return true;
}

void MemoryManager::uncharge(int device, size_t size) {
  per_device_[device].used -= size;
  ++per_device_[device].frees;
}

int MemoryManager::malloc_device(int device, size_t size, void **out) {
  if (out == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(mu_);
  if (!charge(device, size)) return ACL_ERROR_RT_MEMORY_ALLOCATION;
  void *p = map_pages(size, PROT_READ | PROT_WRITE);
  if (p == nullptr) {
    per_device_[device].used -= size;
    --per_device_[device].allocs;
    ++per_device_[device].failures;
    return ACL_ERROR_RT_MEMORY_ALLOCATION;
  }
  device_ranges_[uintptr_t(p)] = Range{size, device, Range::Plain, nullptr};
  *out = p;
  return ACL_SUCCESS;
}

int MemoryManager::free_device(void *ptr) {
  if (ptr == nullptr) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = device_ranges_.find(uintptr_t(ptr));
  if (it == device_ranges_.end() || it->second.kind != Range::Plain) {
    return ACL_ERROR_RT_PARAM_INVALID;  // unknown pointer or double free
  }
  uncharge(it->second.device, it->second.size);
  munmap(ptr, it->second.size);
  device_ranges_.erase(it);
  return ACL_SUCCESS;
}

int MemoryManager::malloc_host(size_t size, void **out) {
  if (out == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  void *p = nullptr;
  if (posix_memalign(&p, 64, size) != 0) return ACL_ERROR_BAD_ALLOC;
  std::lock_guard<std::mutex> lock(mu_);
  host_[uintptr_t(p)] = size;
  *out = p;
  return ACL_SUCCESS;
}

int MemoryManager::free_host(void *ptr) {
  if (ptr == nullptr) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = host_.find(uintptr_t(ptr));
  if (it == host_.end()) return ACL_ERROR_RT_PARAM_INVALID;
  host_.erase(it);
  free(ptr);
  return ACL_SUCCESS;
}

int MemoryManager::reserve(int device, size_t size, size_t alignment, void **out) {
  if (out == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  (void)alignment;  // note: mmap is page aligned; the 2 MiB device granularity is not simulated
  void *p = map_pages(size, PROT_NONE);
  if (p == nullptr) return ACL_ERROR_RT_MEMORY_ALLOCATION;
  std::lock_guard<std::mutex> lock(mu_);
  device_ranges_[uintptr_t(p)] = Range{size, device, Range::Reserved, nullptr};
  *out = p;
  return ACL_SUCCESS;
}

int MemoryManager::release(void *va) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = device_ranges_.find(uintptr_t(va));
  if (it == device_ranges_.end() || it->second.kind != Range::Reserved) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  auto m = mapped_.lower_bound(uintptr_t(va));
  if (m != mapped_.end() && m->first < uintptr_t(va) + it->second.size) {
    return ACL_ERROR_RT_PARAM_INVALID;  // still mapped: unmap first, as the real runtime demands
  }
  munmap(va, it->second.size);
  device_ranges_.erase(it);
  return ACL_SUCCESS;
}

int MemoryManager::malloc_physical(int device, size_t size, PhysicalBlock **out) {
  if (out == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(mu_);
  if (!charge(device, size)) return ACL_ERROR_RT_MEMORY_ALLOCATION;
  auto *b = new PhysicalBlock{device, size, 0};
  blocks_[b] = true;
  *out = b;
  return ACL_SUCCESS;
}

int MemoryManager::free_physical(PhysicalBlock *block) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blocks_.find(block);
  if (it == blocks_.end() || block->mappings > 0) return ACL_ERROR_RT_PARAM_INVALID;
  uncharge(block->device, block->size);
  blocks_.erase(it);
  delete block;
  return ACL_SUCCESS;
}

int MemoryManager::map(void *va, size_t size, size_t offset, PhysicalBlock *block) {
  if (va == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(mu_);
  if (blocks_.count(block) == 0 || offset + size > block->size) return ACL_ERROR_RT_PARAM_INVALID;
  const void *base = nullptr;
  const Range *r = find_locked(va, size, &base);
  if (r == nullptr || r->kind != Range::Reserved || mapped_.count(uintptr_t(va)) != 0) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (mprotect(va, size, PROT_READ | PROT_WRITE) != 0) return ACL_ERROR_RT_PARAM_INVALID;
  mapped_[uintptr_t(va)] = Range{size, block->device, Range::Mapped, block};
  ++block->mappings;
  return ACL_SUCCESS;
}

int MemoryManager::unmap(void *va) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = mapped_.find(uintptr_t(va));
  if (it == mapped_.end()) return ACL_ERROR_RT_PARAM_INVALID;
  madvise(va, it->second.size, MADV_DONTNEED);
  mprotect(va, it->second.size, PROT_NONE);
  --it->second.block->mappings;
  mapped_.erase(it);
  return ACL_SUCCESS;
}

const MemoryManager::Range *MemoryManager::find_locked(const void *p, size_t n,
                                                       const void **base) const {
  const uintptr_t a = uintptr_t(p);
  for (const auto *ranges : {&mapped_, &device_ranges_}) {
    auto it = ranges->upper_bound(a);
    if (it == ranges->begin()) continue;
    --it;
    if (a >= it->first && a + n <= it->first + it->second.size) {
      *base = reinterpret_cast<const void *>(it->first);
      return &it->second;
    }
  }
  return nullptr;
}

bool MemoryManager::is_device_range(const void *p, size_t n, int *device) {
  std::lock_guard<std::mutex> lock(mu_);
  const void *base = nullptr;
  const Range *r = find_locked(p, n, &base);
  if (r == nullptr || r->kind == Range::Reserved) return false;  // reserved but unmapped
  if (device != nullptr) *device = r->device;
  return true;
}

bool MemoryManager::is_host_pinned(const void *p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = host_.upper_bound(uintptr_t(p));
  if (it == host_.begin()) return false;
  --it;
  return uintptr_t(p) < it->first + it->second;
}

void MemoryManager::mem_info(int device, uint64_t *free_bytes, uint64_t *total_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t total = knobs().hbm_bytes;
  const uint64_t used = per_device_[device].used + knobs().hbm_reserved_bytes;
  *total_bytes = total;
  *free_bytes = used >= total ? 0 : total - used;
}

DeviceMemoryStats MemoryManager::stats(int device) {
  std::lock_guard<std::mutex> lock(mu_);
  return per_device_[device];
}

}  // namespace npumock
