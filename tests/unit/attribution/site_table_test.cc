// Captures counted by site: bounded labels, the bounded table, ordering and the stack flags.
#include "npuprobe/attribution/site_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frames.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::attribution {
namespace {

using test_frames::known;

const char *const kUser = "/srv/app/libmodel_ops.so";
const char *const kLibc = "/lib/x86_64-linux-gnu/libc.so.6";

// A whole stack whose site (frame 0) is `function` in the user's library.
std::vector<Frame> stack_at(const std::string &function) {
  return {known(kUser, function, "/src/ops.cc", 10), known(kLibc, "start_thread"),
          known(kLibc, "clone3")};
}

TEST(SiteTable, KindNames) {
  EXPECT_STREQ(to_string(CaptureKind::kSync), "sync");
  EXPECT_STREQ(to_string(CaptureKind::kSlowLaunch), "slow_launch");
}

TEST(SiteTable, CountsAndSumsPerSite) {
  SiteTable table(20);
  table.add(CaptureKind::kSync, "stream", 0, stack_at("a"), 0, false, 0.25);
  const SiteEntry &entry = table.add(CaptureKind::kSync, "stream", 0, stack_at("a"), 0, false, 0.5);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(entry.kind, CaptureKind::kSync);
  EXPECT_EQ(entry.api, "stream");
  EXPECT_EQ(entry.device, 0);
  EXPECT_EQ(entry.site, "a (ops.cc:10)");
  EXPECT_EQ(entry.label, "a (ops.cc:10)");
  EXPECT_EQ(entry.count, 2u);
  EXPECT_DOUBLE_EQ(entry.total_seconds, 0.75);
  EXPECT_EQ(entry.stack.size(), 3u);
  EXPECT_EQ(entry.site_index, 0u);
  EXPECT_FALSE(entry.partial);
  EXPECT_FALSE(entry.truncated);
  // Another api, device or kind is another entry.
  table.add(CaptureKind::kSync, "device", 0, stack_at("a"), 0, false, 0.1);
  table.add(CaptureKind::kSync, "stream", 1, stack_at("a"), 0, false, 0.1);
  table.add(CaptureKind::kSlowLaunch, "stream", 0, stack_at("a"), 0, false, 0.1);
  EXPECT_EQ(table.size(), 4u);
}

TEST(SiteTable, ALongSiteIsCutForItsLabelOnlyAndSaysSo) {
  // A C++ name of 183 bytes (as npu-sim's slow launch sites under qemu): the label is cut to the
  // registry's cap here, visibly, so the registry's warning for unchosen values never fires;
  // the site keeps its whole name for the sites file.
  const std::string name = "npusim::DeviceWorkload::launch(" + std::string(150, 'x') + ")";
  SiteTable table(20);
  const SiteEntry &entry = table.add(CaptureKind::kSlowLaunch, "aclnn", 0, stack_at(name), 0,
                                     false, 1);
  EXPECT_EQ(entry.site, name + " (ops.cc:10)");
  ASSERT_EQ(entry.label.size(), store::kMaxLabelValueBytes);
  EXPECT_EQ(entry.label, entry.site.substr(0, store::kMaxLabelValueBytes - 3) + "...");
  // A second site with the same first 125 bytes shares the label (and so the series).
  const std::string twin = "npusim::DeviceWorkload::launch(" + std::string(150, 'x') + "y)";
  EXPECT_EQ(table.add(CaptureKind::kSlowLaunch, "aclnn", 0, stack_at(twin), 0, false, 1).label,
            entry.label);
}

TEST(SiteTable, ALabelIsNeverCutInsideAUtf8Character) {
  // 124 ASCII bytes, then a 3-byte character across the cut at 125: the label stops before it.
  const std::string name = std::string(124, 'a') + "\xe2\x82\xac" + std::string(20, 'b');
  SiteTable table(20);
  const SiteEntry &entry = table.add(CaptureKind::kSync, "stream", 0, stack_at(name), 0,
                                     false, 1);
  EXPECT_EQ(entry.label, std::string(124, 'a') + "...");
}

TEST(SiteTable, LabelsAreBoundedPerKindFirstComeFirstLabelled) {
  SiteTable table(2);
  EXPECT_EQ(table.max_labels_per_kind(), 2u);
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("a"), 0, false, 1).label,
            "a (ops.cc:10)");
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("b"), 0, false, 1).label,
            "b (ops.cc:10)");
  const SiteEntry &third = table.add(CaptureKind::kSync, "stream", 0, stack_at("c"), 0, false, 1);
  EXPECT_EQ(third.site, "c (ops.cc:10)");
  EXPECT_EQ(third.label, kOtherSite);
  // Sites labelled before keep their label, on every api and device.
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("a"), 0, false, 1).label,
            "a (ops.cc:10)");
  EXPECT_EQ(table.add(CaptureKind::kSync, "device", 3, stack_at("b"), 0, false, 1).label,
            "b (ops.cc:10)");
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("c"), 0, false, 1).label,
            kOtherSite);
  // The bound is per kind.
  EXPECT_EQ(table.add(CaptureKind::kSlowLaunch, "launch", 0, stack_at("c"), 0, false, 1).label,
            "c (ops.cc:10)");

  std::uint64_t labelled_a = 0, other = 0;
  for (const SiteEntry *entry : table.by_count()) {
    if (entry->kind != CaptureKind::kSync) continue;
    if (entry->label == "a (ops.cc:10)") labelled_a += entry->count;
    if (entry->label == kOtherSite) other += entry->count;
  }
  EXPECT_EQ(labelled_a, 2u);
  EXPECT_EQ(other, 2u);
}

TEST(SiteTable, ZeroLabelsCountsEverythingAsOther) {
  SiteTable table(0);
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("a"), 0, false, 1).label,
            kOtherSite);
}

TEST(SiteTable, OverflowGoesToOneOtherEntryPerKindApiDevice) {
  SiteTable table(SiteTable::kMaxEntries + 10);
  for (std::size_t i = 0; i < SiteTable::kMaxEntries; ++i) {
    table.add(CaptureKind::kSync, "stream", 0, stack_at("f" + std::to_string(i)), 0, false, 1);
  }
  ASSERT_EQ(table.size(), SiteTable::kMaxEntries);
  const SiteEntry &late = table.add(CaptureKind::kSync, "stream", 0, stack_at("late"), 0, false, 2);
  EXPECT_EQ(table.size(), SiteTable::kMaxEntries + 1);
  EXPECT_EQ(late.site, kOtherSite);
  EXPECT_EQ(late.label, kOtherSite);
  EXPECT_TRUE(late.stack.empty());
  EXPECT_EQ(late.site_index, 0u);
  EXPECT_FALSE(late.partial);
  const SiteEntry &later =
      table.add(CaptureKind::kSync, "stream", 0, stack_at("later"), 0, false, 3);
  EXPECT_EQ(&later, &late);
  EXPECT_EQ(later.count, 2u);
  EXPECT_DOUBLE_EQ(later.total_seconds, 5);
  // Known sites still count in their own entry.
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("f7"), 0, false, 1).count, 2u);
  table.add(CaptureKind::kSync, "stream", 1, stack_at("late"), 0, false, 1);
  EXPECT_EQ(table.size(), SiteTable::kMaxEntries + 2);

  table.clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.add(CaptureKind::kSync, "stream", 0, stack_at("late"), 0, false, 1).label,
            "late (ops.cc:10)");
}

TEST(SiteTable, ByCountHighestFirstTiesInKeyOrder) {
  SiteTable table(20);
  table.add(CaptureKind::kSlowLaunch, "launch", 0, stack_at("z"), 0, false, 1);
  for (int i = 0; i < 3; ++i)
    table.add(CaptureKind::kSync, "stream", 0, stack_at("m"), 0, false, 1);
  table.add(CaptureKind::kSync, "stream", 1, stack_at("b"), 0, false, 1);
  table.add(CaptureKind::kSync, "stream", 0, stack_at("c"), 0, false, 1);
  table.add(CaptureKind::kSync, "device", 0, stack_at("d"), 0, false, 1);
  const std::vector<const SiteEntry *> sorted = table.by_count();
  ASSERT_EQ(sorted.size(), 5u);
  EXPECT_EQ(sorted[0]->site, "m (ops.cc:10)");
  // Ties: kind (sync first), api, device, site.
  EXPECT_EQ(sorted[1]->api, "device");
  EXPECT_EQ(sorted[2]->site, "c (ops.cc:10)");
  EXPECT_EQ(sorted[3]->site, "b (ops.cc:10)");
  EXPECT_EQ(sorted[4]->kind, CaptureKind::kSlowLaunch);
}

TEST(SiteTable, PartialAndTruncatedStacks) {
  SiteTable table(20);
  const SiteEntry &whole = table.add(CaptureKind::kSync, "s", 0, stack_at("a"), 0, false, 1);
  EXPECT_FALSE(whole.partial);
  EXPECT_FALSE(whole.truncated);
  // Truncated: partial even when the last captured frame happens to be an entry.
  const SiteEntry &cut = table.add(CaptureKind::kSync, "s", 1, stack_at("a"), 0, true, 1);
  EXPECT_TRUE(cut.partial);
  EXPECT_TRUE(cut.truncated);
  // Stopped early (no unwind info): partial, not truncated.
  std::vector<Frame> stopped = stack_at("a");
  stopped.pop_back();
  stopped.back().function = "pthread_mutex_lock";
  const SiteEntry &early = table.add(CaptureKind::kSync, "s", 2, stopped, 0, false, 1);
  EXPECT_TRUE(early.partial);
  EXPECT_FALSE(early.truncated);
  // Only the first stack of an entry is kept, and with it its flags.
  EXPECT_FALSE(table.add(CaptureKind::kSync, "s", 0, stopped, 0, true, 1).partial);
}

TEST(SiteTable, NoSiteFrameCountsAsUnknown) {
  SiteTable table(20);
  const std::vector<Frame> frames = {test_frames::unknown(), test_frames::unknown()};
  const SiteEntry &entry = table.add(CaptureKind::kSync, "s", 0, frames, frames.size(), false, 1);
  EXPECT_EQ(entry.site, "unknown");
  EXPECT_EQ(entry.label, "unknown");
  EXPECT_EQ(entry.site_index, 2u);
  EXPECT_TRUE(entry.partial);
  EXPECT_EQ(table.add(CaptureKind::kSync, "s", 0, {}, 0, false, 1).count, 2u);
}

}  // namespace
}  // namespace npuprobe::attribution
