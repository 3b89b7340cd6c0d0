// Non-zero return codes by (api, code). The hot path bumps an atomic in a fixed table; the
// flush resolves a registry counter the first time it sees a pair (a registry lookup: cold) and
// adds what was counted since the previous flush.
#pragma once

#include <cstdint>

#include "atomic_pointer_map.h"
#include "npuprobe/store/handles.h"

namespace npuprobe::probes {

class ErrorCounts {
 public:
  static constexpr std::size_t kCapacity = 1u << 10;

  // `code` != 0. false: the table is full (counted as dropped by the caller).
  bool count(std::uint32_t api, int code) noexcept {
    const std::size_t slot =
        table_.find_or_insert(std::uint64_t{api} << 32 | static_cast<std::uint32_t>(code));
    if (slot == table_.kNone) return false;
    table_.value(slot).fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // One caller at a time (the publisher). `resolve(api, code)` gives the pair's counter,
  // `add(counter, delta)` records what is new.
  template <typename Resolve, typename Add>
  void flush(Resolve &&resolve, Add &&add) {
    for (std::size_t slot = 0; slot < kCapacity; ++slot) {
      const std::uint64_t key = table_.key(slot);
      if (key == 0) continue;
      const std::uint64_t count = table_.value(slot).load(std::memory_order_relaxed);
      Flushed &flushed = flushed_[slot];
      if (count == flushed.count) continue;
      if (!flushed.resolved) {
        flushed.counter = resolve(static_cast<std::uint32_t>(key >> 32),
                                  static_cast<int>(static_cast<std::uint32_t>(key)));
        flushed.resolved = true;
      }
      add(flushed.counter, count - flushed.count);
      flushed.count = count;
    }
  }

  // Only while no other thread uses it (a fork child): the slots may hold other pairs later.
  void reset() noexcept {
    table_.clear();
    for (Flushed &flushed : flushed_) flushed = Flushed{};
  }

 private:
  struct Flushed {  // publisher side only
    std::uint64_t count = 0;
    store::CounterHandle counter;
    bool resolved = false;
  };

  AtomicPointerMap<kCapacity> table_;
  Flushed flushed_[kCapacity];
};

}  // namespace npuprobe::probes
