// SpreadCounter: the first threads add into slots of their own with plain stores, later ones
// share slots with fetch_add; the sum must be exact either way.
#include "npuprobe/attribution/spread_counter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace npuprobe::attribution {
namespace {

// More threads than owned and shared slots together, all adding at once: nothing is lost,
// whether a thread owns its slot or shares one.
TEST(SpreadCounterTest, ManyMoreThreadsThanSlotsLoseNothing) {
  SpreadCounter counter;
  constexpr int kThreads = 3 * (SpreadCounter::kOwnSlots + SpreadCounter::kSharedSlots);
  constexpr int kAdds = 20000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < kAdds; ++n) counter.add();
    });
  }
  for (std::thread &t : threads) t.join();
  EXPECT_EQ(counter.sum(), static_cast<std::uint64_t>(kThreads) * kAdds);
}

TEST(SpreadCounterTest, OneThreadCountsExactlyAndResetForgets) {
  SpreadCounter counter;
  for (int n = 0; n < 1234; ++n) counter.add();
  EXPECT_EQ(counter.sum(), 1234u);
  counter.reset();
  EXPECT_EQ(counter.sum(), 0u);
  counter.add();
  EXPECT_EQ(counter.sum(), 1u);
}

}  // namespace
}  // namespace npuprobe::attribution
