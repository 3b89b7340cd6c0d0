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

// The hot side, inline: every allocation and free of the process goes through it.
namespace memory_detail {

// A remembered allocation in one word: size << 10 | kind << 8 | present << 7 | device.
// 54 bits of size is 16 PiB; the present bit keeps a zero-byte allocation distinct from
// "absent" (0).
inline constexpr std::uint64_t kPresent = 1u << 7;

inline std::uint64_t pack(int device, AllocKind kind, std::size_t size) {
  return static_cast<std::uint64_t>(size) << 10 | static_cast<std::uint64_t>(kind) << 8 | kPresent |
         static_cast<std::uint64_t>(device);
}
inline int device_of(std::uint64_t value) {
  return static_cast<int>(value & 0x7f);
}
inline AllocKind kind_of(std::uint64_t value) {
  return static_cast<AllocKind>((value >> 8) & 0x3);
}
inline std::int64_t size_of(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 10);
}

}  // namespace memory_detail

inline MemoryAccounting::Remembered MemoryAccounting::on_alloc(int device, AllocKind kind,
                                                               const void *key,
                                                               std::size_t size) noexcept {
  if (key == nullptr) return Remembered::kNullKey;
  const std::size_t slot = pointers_.find_or_insert(pointers_.key_of(key));
  if (slot == pointers_.kNone) return Remembered::kTableFull;
  std::atomic<std::uint64_t> &record = pointers_.value(slot);
  const std::uint64_t packed = memory_detail::pack(device, kind, size);
  // The allocator hands out a live address once, so until this allocation returns nobody else
  // can write its record, except the accounting of the free of its previous allocation still
  // running on another thread (the real free returned, its accounting did not yet), which
  // swaps a non-zero record for 0. So an empty record takes a plain store (no locked
  // instruction, the common case), and only a non-zero one needs the exchange.
  std::uint64_t previous = record.load(std::memory_order_acquire);
  if (previous == 0) {
    record.store(packed, std::memory_order_release);
  } else {
    previous = record.exchange(packed, std::memory_order_acq_rel);
    // A live pointer cannot be handed out twice: the old record's free went unseen (or is
    // racing us and will find ours). Drop it so the gauge does not hold those bytes forever.
    if (previous != 0) subtract(memory_detail::device_of(previous), memory_detail::kind_of(previous), memory_detail::size_of(previous));
  }
  add(device, kind, static_cast<std::int64_t>(size));
  return Remembered::kYes;
}

inline MemoryAccounting::Freed MemoryAccounting::on_free(const void *key) noexcept {
  const std::size_t slot = pointers_.find(pointers_.key_of(key));
  if (slot == pointers_.kNone) return {};
  const std::uint64_t value = pointers_.value(slot).exchange(0, std::memory_order_acq_rel);
  if (value == 0) return {};  // freed already, or never remembered
  subtract(memory_detail::device_of(value), memory_detail::kind_of(value), memory_detail::size_of(value));
  return {true, memory_detail::device_of(value), memory_detail::kind_of(value)};
}

inline void MemoryAccounting::add(int device, AllocKind kind, std::int64_t bytes) noexcept {
  DeviceBytes &d = devices_[device];
  if (!is_device_memory(kind)) {
    d.host_pinned.fetch_add(bytes, std::memory_order_relaxed);
    return;
  }
  // The running total from the read-modify-write itself: the peak is exact (the largest sum
  // that ever held, in the order the adds took effect).
  const std::int64_t now = d.allocated.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::int64_t peak = d.peak.load(std::memory_order_relaxed);
  while (now > peak && !d.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

inline void MemoryAccounting::subtract(int device, AllocKind kind, std::int64_t bytes) noexcept {
  // A smaller total is never a new peak.
  DeviceBytes &d = devices_[device];
  (is_device_memory(kind) ? d.allocated : d.host_pinned).fetch_sub(bytes, std::memory_order_relaxed);
}

}  // namespace npuprobe::probes
