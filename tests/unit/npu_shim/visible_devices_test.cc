// ASCEND_RT_VISIBLE_DEVICES as the runtime reads it (npu/visible_devices.h): user device i is
// driver device list[i]; MSPTI's records carry the driver's id and npuprobe maps it back.
#include <gtest/gtest.h>

#include "npu/visible_devices.h"

namespace {

using npu::VisibleDevices;

TEST(VisibleDevices, UnsetMeansTheSameIds) {
  for (const char *text : {static_cast<const char *>(nullptr), ""}) {
    const VisibleDevices v = VisibleDevices::parse(text);
    EXPECT_EQ(v.count, 0);
    EXPECT_EQ(v.to_driver(3), 3u);
    EXPECT_EQ(v.to_user(3), 3u);
  }
}

TEST(VisibleDevices, UserIdsIndexTheList) {
  const VisibleDevices v = VisibleDevices::parse("2,5,7");
  ASSERT_EQ(v.count, 3);
  EXPECT_EQ(v.to_driver(0), 2u);
  EXPECT_EQ(v.to_driver(2), 7u);
  EXPECT_EQ(v.to_user(5), 1u);
  EXPECT_EQ(v.to_user(7), 2u);
  EXPECT_EQ(v.to_user(4), 4u) << "an id not listed stays itself";
}

// Runtime::GetVisibleDevices stops at the first token that is not digits or is too large, and
// refuses a list out of ascending order or with a repeat: the list ends there.
TEST(VisibleDevices, TheListEndsWhereTheRuntimeStopsReading) {
  EXPECT_EQ(VisibleDevices::parse("1,x,3").count, 1);
  EXPECT_EQ(VisibleDevices::parse("1,64").count, 1);
  EXPECT_EQ(VisibleDevices::parse("4,2").count, 1);
  EXPECT_EQ(VisibleDevices::parse("4,4").count, 1);
  EXPECT_EQ(VisibleDevices::parse("0,1,").count, 2);
  EXPECT_EQ(VisibleDevices::parse(",1").count, 0);
}

}  // namespace
