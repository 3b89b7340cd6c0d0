// Device and pinned host bytes held, kept in atomics on the hot path: which live pointer holds
// how many bytes on which device, and per-device totals. The gauges are set from these at
// flush time (before_flush), never on the hot path.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "atomic_pointer_map.h"
#include "npuprobe/probes/events.h"

namespace npuprobe::probes {

class MemoryAccounting {
 public:
  // Live allocations remembered: torch's caching allocator holds at most a few thousand
  // segments (or physical pages with expandable segments) per device.
  static constexpr std::size_t kPointerCapacity = 1u << 16;

  enum class Remembered { kYes, kNullKey, kTableFull };
  // A successful allocation. kTableFull: its bytes are not added (they could never be
  // subtracted again).
  Remembered on_alloc(int device, AllocKind kind, const void *key, std::size_t size) noexcept;

  struct Freed {
    bool known = false;
    int device = 0;
    AllocKind kind = AllocKind::kDevice;
  };
  // A successful free of a non-null key.
  Freed on_free(const void *key) noexcept;

  struct Bytes {
    std::int64_t allocated = 0;
    std::int64_t peak_allocated = 0;
    std::int64_t host_pinned = 0;
  };
  Bytes bytes(int device) const noexcept;

  // Only while no other thread uses it (a fork child).
  void reset() noexcept;

 private:
  void add(int device, AllocKind kind, std::int64_t bytes) noexcept;
  void subtract(int device, AllocKind kind, std::int64_t bytes) noexcept;

  AtomicPointerMap<kPointerCapacity> pointers_;
  // One device's bytes on one cache line: an allocation moves allocated and reads peak together.
  struct alignas(64) DeviceBytes {
    std::atomic<std::int64_t> allocated{0};
    std::atomic<std::int64_t> peak{0};
    std::atomic<std::int64_t> host_pinned{0};
  };
  DeviceBytes devices_[kMaxDevices];
};

// Device kinds count in allocated bytes and allocs/frees; pinned host memory only moves its
// own gauge.
inline bool is_device_memory(AllocKind kind) {
  return kind != AllocKind::kHostPinned;
}

}  // namespace npuprobe::probes
