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

void expect_lower_bound(const std::vector<double> &bounds, double value, const BucketIndex &index) {
  const auto expected = static_cast<std::uint32_t>(
      std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  ASSERT_EQ(index.find(bounds.data(), static_cast<std::uint32_t>(bounds.size()), value), expected)
      << std::hexfloat << value;
}

TEST(BucketIndex, FindsWhatLowerBoundFinds) {
  const std::vector<std::vector<double>> lists = {
      {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025,
       0.05, 0.1, 0.25, 0.5, 1},
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0},
      {1024, 1048576, 1073741824, 1099511627776.0},
      {-5, -1, 0, 0.5, 1, 2, 4, 8, 1e30, 1e300},
      {0.1},
      {},
      {1, 1.0000000000000002, 2},
  };
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

}  // namespace
}  // namespace npuprobe::store
