// Handles of `npu:op_launches{op}` / `npu:op_launch_latency{op}` per (device, op), resolved on
// the first launch of that op on that device: only ops that ran appear in the output, and the
// hot path does bounded work (a probe of a fixed table) however many ops were registered.
#pragma once

#include <cstdint>

#include "atomic_pointer_map.h"
#include "metric_families.h"
#include "resolve_once.h"

namespace npuprobe::probes {

class OpHandleTable {
 public:
  static constexpr std::size_t kCapacity = 1u << 12;

  // nullptr when the table is full. `resolve()` must not throw.
  template <typename Resolve>
  const OpHandles *get(int device, std::uint32_t op, Resolve &&resolve) noexcept {
    // op != 0, so the key is never 0.
    const std::size_t slot = keys_.find_or_insert(std::uint64_t(device) << 32 | op);
    if (slot == keys_.kNone) return nullptr;
    Entry &entry = entries_[slot];
    entry.once.ensure([&] { entry.handles = resolve(); });
    return &entry.handles;
  }

  void forget_unfinished() noexcept {
    for (Entry &entry : entries_) entry.once.forget_unfinished();
  }

 private:
  struct Entry {
    ResolveOnce once;
    OpHandles handles;
  };
  AtomicPointerMap<kCapacity> keys_;  // values unused: the slot index finds the entry
  Entry entries_[kCapacity];
};

}  // namespace npuprobe::probes
