// Which histogram bucket a value falls in (the first bound >= value, Prometheus `le`), without a
// binary search on the hot path. A value's binary exponent says which octave [2^e, 2^(e+1)) it
// is in; a table built once per family says how many bounds lie below that octave, and only the
// bounds inside the octave are compared (one or two for the 1-2.5-5 buckets of the launch and
// step histograms, instead of the five comparisons of a binary search over 19 bounds).
#pragma once

#include <algorithm>
#include <limits>
#include <cstdint>
#include <cstring>
#include <vector>

namespace npuprobe::store {

class BucketIndex {
 public:
  static constexpr int kOctaves = 64;

  // `bounds` sorted ascending (as the registry validates them).
  void build(const std::vector<double> &bounds) {
    exponent_low_ = 0;
    for (const double bound : bounds) {
      if (bound > 0) {
        exponent_low_ = exponent_of(bound);
        break;
      }
    }
    for (int k = 0; k <= kOctaves; ++k) {
      const double octave_start = power_of_two(exponent_low_ + k);
      below_[k] = static_cast<std::uint32_t>(
          std::lower_bound(bounds.begin(), bounds.end(), octave_start) - bounds.begin());
    }
  }

  // The index of the first of `count` bounds >= value; `count` (the +Inf bucket) when none.
  // The same as std::lower_bound for every value, NaN and infinities included.
  __attribute__((always_inline)) std::uint32_t find(const double *bounds, std::uint32_t count,
                                                    double value) const noexcept {
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    if ((bits >> 63) != 0 || biased == 0 || biased == 0x7ff) {  // <= 0, subnormal, inf, NaN
      return static_cast<std::uint32_t>(std::lower_bound(bounds, bounds + count, value) - bounds);
    }
    const int octave = biased - 1023 - exponent_low_;
    std::uint32_t at = octave < 0 ? 0 : below_[octave > kOctaves ? kOctaves : octave];
    while (at < count && bounds[at] < value) ++at;
    return at;
  }

 private:
  // 2^e from its bits (no libm: the preload needs nothing beyond the C library); e >= -1022.
  static double power_of_two(int e) {
    if (e > 1023) return std::numeric_limits<double>::infinity();
    const std::uint64_t bits = static_cast<std::uint64_t>(e + 1023) << 52;
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  static int exponent_of(double positive) {
    std::uint64_t bits;
    std::memcpy(&bits, &positive, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    return biased == 0 ? -1022 : biased - 1023;
  }

  int exponent_low_ = 0;
  std::uint32_t below_[kOctaves + 1] = {};  // bounds below 2^(exponent_low_ + k)
};

}  // namespace npuprobe::store
