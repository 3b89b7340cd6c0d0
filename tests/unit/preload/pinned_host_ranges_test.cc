// Pinned host blocks by range: what makes aclrtMemcpyAsyncWithCondition a launch or a wait.
#include "pinned_host_ranges.h"

#include <gtest/gtest.h>

#include <memory>

namespace npuprobe::preload {

void note_pinned_table_full() noexcept {}  // the preload's log line; not under test here

namespace {

const void *at(std::uintptr_t a) { return reinterpret_cast<const void *>(a); }

TEST(PinnedHostRanges, AnAddressInsideABlockIsPinnedUntilTheBlockIsFreed) {
  auto ranges = std::make_unique<PinnedHostRanges>();
  EXPECT_FALSE(ranges->contains(at(0x10000)));
  ASSERT_TRUE(ranges->add(at(0x10000), 0x1000));
  EXPECT_TRUE(ranges->contains(at(0x10000)));
  EXPECT_TRUE(ranges->contains(at(0x10fff)));
  EXPECT_FALSE(ranges->contains(at(0x11000)));
  EXPECT_FALSE(ranges->contains(at(0xffff)));
  ranges->remove(at(0x10800));  // not a block's start: nothing freed
  EXPECT_TRUE(ranges->contains(at(0x10800)));
  ranges->remove(at(0x10000));
  EXPECT_FALSE(ranges->contains(at(0x10800)));
}

TEST(PinnedHostRanges, FreedSlotsAreReusedAndAFullTableSaysSo) {
  auto ranges = std::make_unique<PinnedHostRanges>();
  for (int i = 0; i < PinnedHostRanges::kSlots; ++i) {
    ASSERT_TRUE(ranges->add(at(0x100000 + i * 0x100), 0x100)) << i;
  }
  EXPECT_FALSE(ranges->add(at(0x9000000), 0x100));
  EXPECT_FALSE(ranges->contains(at(0x9000000)));
  ranges->remove(at(0x100000 + 7 * 0x100));
  EXPECT_TRUE(ranges->add(at(0x9000000), 0x100));
  EXPECT_TRUE(ranges->contains(at(0x9000080)));
  EXPECT_TRUE(ranges->contains(at(0x100000 + (PinnedHostRanges::kSlots - 1) * 0x100)));
}

TEST(PinnedHostRanges, NullAndEmptyBlocksAreNotRanges) {
  auto ranges = std::make_unique<PinnedHostRanges>();
  EXPECT_TRUE(ranges->add(nullptr, 0x100));
  EXPECT_TRUE(ranges->add(at(0x5000), 0));
  EXPECT_FALSE(ranges->contains(nullptr));
  EXPECT_FALSE(ranges->contains(at(0x5000)));
}

}  // namespace
}  // namespace npuprobe::preload
