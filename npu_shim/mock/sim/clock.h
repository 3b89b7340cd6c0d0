// Time for the simulated device: CLOCK_MONOTONIC in ns, plus precise host-time burning.
#pragma once

#include <time.h>

#include <cstdint>

namespace npumock {

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Sleeps until an absolute CLOCK_MONOTONIC time (device thread: kernel completion).
inline void sleep_until_ns(uint64_t deadline) {
  timespec ts;
  ts.tv_sec = time_t(deadline / 1000000000ull);
  ts.tv_nsec = long(deadline % 1000000000ull);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// Host cost of a call: spins, because sleeping would overshoot microsecond costs by 50+ us and
// because real launch cost is CPU work (tiling, argument packing), not idle time.
inline void burn_host_us(uint32_t us) {
  if (us == 0) return;
  const uint64_t end = now_ns() + uint64_t(us) * 1000u;
  while (now_ns() < end) {
  }
}

}  // namespace npumock
