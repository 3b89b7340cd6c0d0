// The publisher's side of MemoryAccounting (the hot side is inline in memory_accounting.h).
#include "memory_accounting.h"

namespace npuprobe::probes {

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
