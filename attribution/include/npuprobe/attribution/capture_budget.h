// How many blocking waits per second get their stack captured (attribution.sync_captures_per_s).
// A wait blocks the host anyway, but a process that synchronizes thousands of times a second
// (a shape read per token) must not pay a stack walk for each: past the budget a wait is only
// counted as not captured, and that refusal only reads shared state (two relaxed loads), so
// threads waiting at a high rate do not fight over a cache line. Lock-free and approximate at
// the turn of a second (two threads may both start the new second; a few captures too many or
// too few).
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::attribution {

class CaptureBudget {
 public:
  explicit CaptureBudget(std::uint32_t per_second) : per_second_(per_second) {}

  // True when a capture at `now_ns` (CLOCK_MONOTONIC) fits this second's budget.
  bool take(std::uint64_t now_ns) noexcept {
    if (per_second_ == 0) return false;
    const std::uint64_t second = now_ns / 1000000000u;
    std::uint64_t current = second_.load(std::memory_order_relaxed);
    if (current == second) {
      if (used_.load(std::memory_order_relaxed) >= per_second_) return false;
    } else if (second_.compare_exchange_strong(current, second, std::memory_order_relaxed)) {
      used_.store(0, std::memory_order_relaxed);
    }
    return used_.fetch_add(1, std::memory_order_relaxed) < per_second_;
  }

  std::uint32_t per_second() const noexcept { return per_second_; }

 private:
  const std::uint32_t per_second_;
  alignas(64) std::atomic<std::uint64_t> second_{0};
  std::atomic<std::uint32_t> used_{0};
};

}  // namespace npuprobe::attribution
