// CaptureBudget (attribution/include/npuprobe/attribution/capture_budget.h): at most
// `per_second` captures in each second of the clock, a spent second refusing every wait until it
// ends, a new second starting afresh, and none at all for a budget of 0.
#include "npuprobe/attribution/capture_budget.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace npuprobe::attribution {
namespace {

constexpr std::uint64_t kSecond = 1000000000u;

int taken(CaptureBudget &budget, std::uint64_t from_ns, int waits, std::uint64_t step_ns) {
  int count = 0;
  for (int i = 0; i < waits; ++i) count += budget.take(from_ns + i * step_ns) ? 1 : 0;
  return count;
}

TEST(CaptureBudget, EachSecondTakesItsBudgetAndRefusesTheRest) {
  CaptureBudget budget(3);
  EXPECT_EQ(taken(budget, 5 * kSecond, 10, 1000), 3);
  EXPECT_FALSE(budget.take(6 * kSecond - 1));            // the last ns of the spent second
  EXPECT_EQ(taken(budget, 6 * kSecond, 10, 1000), 3);    // its successor starts afresh
  EXPECT_EQ(taken(budget, 6 * kSecond + kSecond / 2, 5, 1), 0);
  EXPECT_EQ(taken(budget, 9 * kSecond + 7, 2, 1), 2);    // seconds skipped: a fresh budget
  EXPECT_EQ(taken(budget, 9 * kSecond + 100, 4, 1), 1);  // the one left of that second
}

TEST(CaptureBudget, AZeroBudgetTakesNothing) {
  CaptureBudget budget(0);
  EXPECT_EQ(taken(budget, 0, 5, 1), 0);
  EXPECT_EQ(taken(budget, 7 * kSecond, 5, kSecond), 0);
}

TEST(CaptureBudget, ABudgetNotSpentRefusesNothingInItsSecond) {
  CaptureBudget budget(1000);
  EXPECT_EQ(taken(budget, 3 * kSecond, 999, 1000), 999);
  EXPECT_TRUE(budget.take(4 * kSecond - 1));
  EXPECT_FALSE(budget.take(4 * kSecond - 1));
}

}  // namespace
}  // namespace npuprobe::attribution
