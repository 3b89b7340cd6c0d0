// How many blocking waits per second get their stack captured (attribution.sync_captures_per_s).
// A wait blocks the host anyway, but a process that synchronizes thousands of times a second
// (a shape read per token) must not pay a stack walk for each: past the budget a wait is only
// counted as not captured. Once a second's budget is spent, the second's end is noted, and every
// wait until then is refused by one relaxed load and one comparison: threads waiting at a high
// rate only read shared state and do not fight over a cache line, and a refusal does no
// arithmetic on the clock. Lock-free and approximate at the turn of a second (two threads may
// both start the new second; a few captures too many or too few).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

namespace npuprobe::attribution {

class CaptureBudget {
 public:
  explicit CaptureBudget(std::uint32_t per_second)
      : per_second_(per_second),
        spent_until_(per_second == 0 ? std::numeric_limits<std::uint64_t>::max() : 0) {}

  // True when a capture at `now_ns` (CLOCK_MONOTONIC) fits this second's budget.
  bool take(std::uint64_t now_ns) noexcept {
    if (now_ns < spent_until_.load(std::memory_order_relaxed)) return false;
    return take_in_second(now_ns);
  }

  std::uint32_t per_second() const noexcept { return per_second_; }

 private:
  static constexpr std::uint64_t kSecondNs = 1000000000u;

  // The second's budget not known to be spent: counted out.
  bool take_in_second(std::uint64_t now_ns) noexcept {
    const std::uint64_t second = now_ns / kSecondNs;
    std::uint64_t current = second_.load(std::memory_order_relaxed);
    if (current != second &&
        second_.compare_exchange_strong(current, second, std::memory_order_relaxed)) {
      used_.store(0, std::memory_order_relaxed);
    }
    if (used_.fetch_add(1, std::memory_order_relaxed) < per_second_) return true;
    spent_until_.store((second + 1) * kSecondNs, std::memory_order_relaxed);
    return false;
  }

  const std::uint32_t per_second_;
  // Waits before this time are refused at once: the budget of the second it ends is spent
  // (never, per_second 0: the maximum).
  alignas(64) std::atomic<std::uint64_t> spent_until_;
  std::atomic<std::uint64_t> second_{0};
  std::atomic<std::uint32_t> used_{0};
};

}  // namespace npuprobe::attribution
