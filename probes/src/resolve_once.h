// Lazy, once-only resolution of metric handles on the hot path (a device's first event).
//
// States: 0 unresolved, 1 resolving, 2 ready. The thread that moves 0 -> 1 resolves and
// publishes 2 with release; the others spin until they see 2 (acquire), so every thread
// reads fully written handles. The fast path is one acquire load.
#pragma once

#include <atomic>
#include <cstdint>

#include "spin_pause.h"

namespace npuprobe::probes {

class ResolveOnce {
 public:
  bool ready() const noexcept { return state_.load(std::memory_order_acquire) == kReady; }

  // `resolve` must not throw.
  template <typename Resolve>
  void ensure(Resolve &&resolve) noexcept {
    if (__builtin_expect(ready(), 1)) return;
    ensure_slow(resolve);
  }

  // Fork child: the thread that was resolving is gone, so let the next caller start over.
  // Ready stays ready (the registry keeps handles across its own reset_after_fork).
  void forget_unfinished() noexcept {
    if (state_.load(std::memory_order_relaxed) == kResolving) {
      state_.store(kUnresolved, std::memory_order_relaxed);
    }
  }

 private:
  static constexpr std::uint8_t kUnresolved = 0;
  static constexpr std::uint8_t kResolving = 1;
  static constexpr std::uint8_t kReady = 2;

  template <typename Resolve>
  __attribute__((noinline)) void ensure_slow(Resolve &resolve) noexcept {
    std::uint8_t expected = kUnresolved;
    if (state_.compare_exchange_strong(expected, kResolving, std::memory_order_acquire)) {
      resolve();
      state_.store(kReady, std::memory_order_release);
      return;
    }
    for (unsigned spins = 0; !ready(); ++spins) spin_pause(spins);
  }

  std::atomic<std::uint8_t> state_{kUnresolved};
};

}  // namespace npuprobe::probes
