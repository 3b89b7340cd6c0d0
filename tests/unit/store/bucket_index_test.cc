// BucketIndex::find is std::lower_bound, for every value and every bucket list the registry
// accepts: the launch, step and byte buckets, custom ones with negative and huge bounds, and
// values of every magnitude, zero, subnormal, infinite and NaN.
#include "npuprobe/store/bucket_index.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace npuprobe::store {
namespace {

// The bucket lists the registry accepts: the launch, step and byte buckets, custom ones with
// negative and huge bounds, bounds closer than a nanosecond, and none at all.
std::vector<std::vector<double>> bucket_lists() {
  return {
      {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025,
       0.05, 0.1, 0.25, 0.5, 1},
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0},
      {1024, 1048576, 1073741824, 1099511627776.0},
      {-5, -1, 0, 0.5, 1, 2, 4, 8, 1e30, 1e300},
      {-1, -0.5},
      {0.1},
      {},
      {1, 1.0000000000000002, 2},
      {1e-10, 2e-10, 1.5e-9, 3.3e-9, 7.77e-7, 0.3, 1e5, 1.8e10, 1.9e10},
  };
}

void expect_lower_bound(const std::vector<double> &bounds, double value, const BucketIndex &index) {
  const auto expected = static_cast<std::uint32_t>(
      std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  ASSERT_EQ(index.find(bounds.data(), static_cast<std::uint32_t>(bounds.size()), value), expected)
      << std::hexfloat << value;
}

TEST(BucketIndex, FindsWhatLowerBoundFinds) {
  const std::vector<std::vector<double>> lists = bucket_lists();
  std::mt19937_64 random(11);
  for (const std::vector<double> &bounds : lists) {
    BucketIndex index;
    index.build(bounds);
    for (const double b : bounds) {
      expect_lower_bound(bounds, b, index);
      expect_lower_bound(bounds, std::nextafter(b, -1e308), index);
      expect_lower_bound(bounds, std::nextafter(b, 1e308), index);
    }
    for (const double special : {0.0, -0.0, 5e-324, -1.0, 1e308,
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::quiet_NaN()}) {
      expect_lower_bound(bounds, special, index);
    }
    for (int i = 0; i < 20000; ++i) {
      std::uint64_t bits = random();
      double any;
      std::memcpy(&any, &bits, sizeof any);
      expect_lower_bound(bounds, any, index);
      expect_lower_bound(bounds, std::ldexp(static_cast<double>(random() % 1000 + 1),
                                            static_cast<int>(random() % 80) - 60), index);
    }
  }
}

// find_ns(ns) is the bucket of ns / 1e9, the value a duration had before: around every bound
// (the ns whose seconds land on it, and their neighbours), across every magnitude, and at the
// ends (0, the largest durations).
void expect_bucket_of_seconds(const std::vector<double> &bounds, std::uint64_t ns,
                              const BucketIndex &index) {
  const double seconds = static_cast<double>(ns) / 1e9;
  const auto expected = static_cast<std::uint32_t>(
      std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  ASSERT_EQ(index.find_ns(static_cast<std::uint32_t>(bounds.size()), ns), expected)
      << ns << " ns";
}

TEST(BucketIndex, FindNsIsTheBucketOfTheSecondsValue) {
  const std::vector<std::vector<double>> lists = bucket_lists();
  std::mt19937_64 random(7);
  for (const std::vector<double> &bounds : lists) {
    BucketIndex index;
    index.build(bounds);
    for (const double b : bounds) {
      if (b < 0 || b > 1e10) continue;
      const auto around = static_cast<std::uint64_t>(b * 1e9);
      for (std::uint64_t d = 0; d < 8; ++d) {
        expect_bucket_of_seconds(bounds, around + d, index);
        if (around >= d) expect_bucket_of_seconds(bounds, around - d, index);
      }
    }
    for (const std::uint64_t ns : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{999},
                                   std::uint64_t{1000}, std::uint64_t{1001},
                                   std::uint64_t{1} << 53, (std::uint64_t{1} << 63) + 12345,
                                   std::numeric_limits<std::uint64_t>::max()}) {
      expect_bucket_of_seconds(bounds, ns, index);
    }
    for (int i = 0; i < 20000; ++i) {
      expect_bucket_of_seconds(bounds, random() >> (random() % 64), index);
    }
  }
}

}  // namespace
}  // namespace npuprobe::store
