// Probes: allocation and free calls. Counts and latency go to the registry at once; bytes held
// stay in MemoryAccounting's atomics until before_flush() sets the gauges.
#include "probes_state.h"

namespace npuprobe::probes {

void Probes::on_alloc(int device, AllocKind kind, const void *key, std::size_t size, bool ok,
                      std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  State &s = *state_;
  if (!State::valid_device(device)) return s.drop(DropReason::kDeviceId);
  const DeviceHandles &h = s.device_handles(device);
  const store::MetricRegistry::Recorder r = s.registry.recorder();  // one shard lookup
  r.observe_ns(h.alloc_latency, elapsed_ns(t0_ns, t1_ns));
  if (!ok) return r.add(h.alloc_failures);
  if (is_device_memory(kind)) r.add(h.allocs);
  if (s.memory.on_alloc(device, kind, key, size) == MemoryAccounting::Remembered::kTableFull) {
    s.drop(DropReason::kPointerTableFull);
  }
}

void Probes::on_free(AllocKind kind, const void *key, bool ok) noexcept {
  State &s = *state_;
  if (!ok || key == nullptr) return;  // freeing nullptr is a no-op for ACL too
  const MemoryAccounting::Freed freed = s.memory.on_free(key);
  if (freed.known) {
    if (is_device_memory(freed.kind)) s.registry.add(s.device_handles(freed.device).frees);
    return;
  }
  // Allocated before npuprobe started, or forgotten (pointer table full): a free all the same,
  // on a device nobody knows.
  s.drop(DropReason::kFreeUnknownPointer);
  if (!is_device_memory(kind)) return;
  s.unknown_frees_once.ensure([&] {
    try {
      s.unknown_frees = s.families.resolve_unknown_device_frees();
    } catch (const std::exception &) {
      s.unknown_frees = store::CounterHandle{};
    }
  });
  s.registry.add(s.unknown_frees);
}

void Probes::on_hbm_sample(int device, std::uint64_t used_bytes,
                           std::uint64_t total_bytes) noexcept {
  State &s = *state_;
  if (!State::valid_device(device)) return s.drop(DropReason::kDeviceId);
  State::HbmSlot &slot = s.hbm[device];
  slot.once.ensure([&] {
    try {
      slot.handles = s.families.resolve_hbm(device);
    } catch (...) {
      slot.handles = HbmHandles{};  // registry full: samples of this device go nowhere
    }
  });
  s.registry.set(slot.handles.used, static_cast<double>(used_bytes));
  s.registry.set(slot.handles.total, static_cast<double>(total_bytes));
}

}  // namespace npuprobe::probes
