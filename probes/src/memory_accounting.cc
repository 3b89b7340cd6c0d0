#include "memory_accounting.h"

namespace npuprobe::probes {
namespace {

// A remembered allocation in one word: size << 10 | kind << 8 | present << 7 | device.
// 54 bits of size is 16 PiB; the present bit keeps a zero-byte allocation distinct from
// "absent" (0).
constexpr std::uint64_t kPresent = 1u << 7;

std::uint64_t pack(int device, AllocKind kind, std::size_t size) {
  return static_cast<std::uint64_t>(size) << 10 | static_cast<std::uint64_t>(kind) << 8 | kPresent |
         static_cast<std::uint64_t>(device);
}
int device_of(std::uint64_t value) {
  return static_cast<int>(value & 0x7f);
}
AllocKind kind_of(std::uint64_t value) {
  return static_cast<AllocKind>((value >> 8) & 0x3);
}
std::int64_t size_of(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 10);
}

}  // namespace

MemoryAccounting::Remembered MemoryAccounting::on_alloc(int device, AllocKind kind, const void *key,
                                                        std::size_t size) noexcept {
  if (key == nullptr) return Remembered::kNullKey;
  const std::size_t slot = pointers_.find_or_insert(pointers_.key_of(key));
  if (slot == pointers_.kNone) return Remembered::kTableFull;
  std::atomic<std::uint64_t> &record = pointers_.value(slot);
  const std::uint64_t packed = pack(device, kind, size);
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
    if (previous != 0) subtract(device_of(previous), kind_of(previous), size_of(previous));
  }
  add(device, kind, static_cast<std::int64_t>(size));
  return Remembered::kYes;
}

MemoryAccounting::Freed MemoryAccounting::on_free(const void *key) noexcept {
  const std::size_t slot = pointers_.find(pointers_.key_of(key));
  if (slot == pointers_.kNone) return {};
  const std::uint64_t value = pointers_.value(slot).exchange(0, std::memory_order_acq_rel);
  if (value == 0) return {};  // freed already, or never remembered
  subtract(device_of(value), kind_of(value), size_of(value));
  return {true, device_of(value), kind_of(value)};
}

void MemoryAccounting::add(int device, AllocKind kind, std::int64_t bytes) noexcept {
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

void MemoryAccounting::subtract(int device, AllocKind kind, std::int64_t bytes) noexcept {
  // A smaller total is never a new peak.
  DeviceBytes &d = devices_[device];
  (is_device_memory(kind) ? d.allocated : d.host_pinned).fetch_sub(bytes, std::memory_order_relaxed);
}

MemoryAccounting::Bytes MemoryAccounting::bytes(int device) const noexcept {
  // note: a free racing its own allocation's accounting on another thread can make the sum
  // briefly negative; a gauge of bytes held never shows that.
  const auto clamp = [](std::int64_t value) { return value < 0 ? 0 : value; };
  const DeviceBytes &d = devices_[device];
  return {clamp(d.allocated.load(std::memory_order_relaxed)),
          clamp(d.peak.load(std::memory_order_relaxed)),
          clamp(d.host_pinned.load(std::memory_order_relaxed))};
}

void MemoryAccounting::reset() noexcept {
  pointers_.clear();
  for (DeviceBytes &d : devices_) {
    d.allocated.store(0, std::memory_order_relaxed);
    d.peak.store(0, std::memory_order_relaxed);
    d.host_pinned.store(0, std::memory_order_relaxed);
  }
}

}  // namespace npuprobe::probes
