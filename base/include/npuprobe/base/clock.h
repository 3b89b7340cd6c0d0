// The one clock of npuprobe: CLOCK_MONOTONIC in nanoseconds, read through the vDSO (no system
// call). Inline and noexcept because every intercepted call reads it twice on the hot path; the
// log's rate limit and the publisher read the same clock, so their times compare.
//
// note: the mock CANN (npu_shim/mock/sim/clock.h) keeps its own copy on purpose: it stands in for
// the vendor's libraries and links none of npuprobe's code, so a test never passes because the
// instrumented and the instrumenting side share a piece.
#pragma once

#include <time.h>

#include <cstdint>

namespace npuprobe::base {

inline std::uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace npuprobe::base
