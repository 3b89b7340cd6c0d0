// The one clock of the hot path: CLOCK_MONOTONIC through the vDSO (no system call).
#pragma once

#include <time.h>

#include <cstdint>

namespace npuprobe::preload {

inline std::uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace npuprobe::preload
