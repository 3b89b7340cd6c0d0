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
  const std::uint64_t previous =
      pointers_.value(slot).exchange(pack(device, kind, size), std::memory_order_acq_rel);
  // A live pointer cannot be handed out twice: the old record's free went unseen. Drop it so
  // the gauge does not hold those bytes forever.
  if (previous != 0) add(device_of(previous), kind_of(previous), -size_of(previous));
  add(device, kind, static_cast<std::int64_t>(size));
  return Remembered::kYes;
}

MemoryAccounting::Freed MemoryAccounting::on_free(const void *key) noexcept {
  const std::size_t slot = pointers_.find(pointers_.key_of(key));
  if (slot == pointers_.kNone) return {};
  const std::uint64_t value = pointers_.value(slot).exchange(0, std::memory_order_acq_rel);
  if (value == 0) return {};  // freed already, or never remembered
  add(device_of(value), kind_of(value), -size_of(value));
  return {true, device_of(value), kind_of(value)};
}

void MemoryAccounting::add(int device, AllocKind kind, std::int64_t bytes) noexcept {
  if (!is_device_memory(kind)) {
    host_pinned_[device].fetch_add(bytes, std::memory_order_relaxed);
    return;
  }
  const std::int64_t now = allocated_[device].fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::int64_t peak = peak_[device].load(std::memory_order_relaxed);
  while (now > peak && !peak_[device].compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

MemoryAccounting::Bytes MemoryAccounting::bytes(int device) const noexcept {
  // note: a free racing its own allocation's accounting on another thread can make the sum
  // briefly negative; a gauge of bytes held never shows that.
  const auto clamp = [](std::int64_t value) { return value < 0 ? 0 : value; };
  return {clamp(allocated_[device].load(std::memory_order_relaxed)),
          clamp(peak_[device].load(std::memory_order_relaxed)),
          clamp(host_pinned_[device].load(std::memory_order_relaxed))};
}

void MemoryAccounting::reset() noexcept {
  pointers_.clear();
  for (int device = 0; device < kMaxDevices; ++device) {
    allocated_[device].store(0, std::memory_order_relaxed);
    peak_[device].store(0, std::memory_order_relaxed);
    host_pinned_[device].store(0, std::memory_order_relaxed);
  }
}

}  // namespace npuprobe::probes
