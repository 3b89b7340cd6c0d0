// Which histogram bucket a value falls in (the first bound >= value, Prometheus `le`), without a
// binary search on the hot path. A value's binary exponent says which octave [2^e, 2^(e+1)) it
// is in; a table built once per family says how many bounds lie below that octave, and only the
// bounds inside the octave are compared (one or two for the 1-2.5-5 buckets of the launch and
// step histograms, instead of the five comparisons of a binary search over 19 bounds).
//
// find_ns() answers the same for a duration in integer nanoseconds, whose value in seconds is
// ns / 1e9: each bound becomes the largest ns whose seconds stay <= it, so the answer is the
// bucket of ns / 1e9 exactly, with no floating-point division on the way (the hot path's
// durations are integers from the clock; a division is some 14 cycles of latency, and every
// clock read after it waits for it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
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
    build_ns(bounds);
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

  // find(bounds, count, ns / 1e9) for the same `count` bounds build() was given, without the
  // division.
  __attribute__((always_inline)) std::uint32_t find_ns(std::uint32_t count,
                                                       std::uint64_t ns) const noexcept {
    // Bounds with last_ns_ below 2^k ns (k = the bit length of ns) all lie below ns.
    std::uint32_t at = ns_below_[ns == 0 ? 0 : 64 - __builtin_clzll(ns)];
    while (at < count && last_ns_[at] < ns) ++at;
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

  // last_ns_[i]: the largest ns with ns / 1e9 <= bounds[i] (the maximum when every ns is),
  // or none: a negative bound, whose bucket no duration falls in, keeps 0 and is skipped by
  // ns_below_, which starts past the negative bounds.
  void build_ns(const std::vector<double> &bounds) {
    last_ns_.assign(bounds.size(), 0);
    std::uint32_t negative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (bounds[i] < 0) {
        ++negative;
      } else {
        last_ns_[i] = last_ns_within(bounds[i]);
      }
    }
    // ns_below_[0]: where ns = 0 starts; ns_below_[k]: where ns of bit length k starts, past
    // every bound whose last ns is below 2^(k-1).
    for (int k = 0; k <= 64; ++k) {
      std::uint32_t at = negative;
      const std::uint64_t start = k == 0 ? 0 : std::uint64_t{1} << (k - 1);
      while (at < last_ns_.size() && last_ns_[at] < start) ++at;
      ns_below_[k] = at;
    }
  }

  // The largest ns with ns / 1e9 <= bound (bound >= 0): from bound * 1e9, stepped the few ns
  // the products' rounding can be off. Past 2^53 ns (104 days) consecutive ns are no longer
  // told apart as doubles and the estimate stands.
  static std::uint64_t last_ns_within(double bound) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    if (!(bound * 1e9 < 0x1p64)) return kMax;  // every ns fits (and NaN-safe)
    std::uint64_t n = static_cast<std::uint64_t>(bound * 1e9);
    const auto seconds = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e9; };
    for (int step = 0; step < 64 && n > 0 && seconds(n) > bound; ++step) --n;
    for (int step = 0; step < 64 && seconds(n + 1) <= bound; ++step) ++n;
    return n;
  }

  int exponent_low_ = 0;
  std::uint32_t below_[kOctaves + 1] = {};  // bounds below 2^(exponent_low_ + k)
  std::vector<std::uint64_t> last_ns_;
  std::uint32_t ns_below_[65] = {};  // by bit length of ns (0 for ns = 0)
};

}  // namespace npuprobe::store
