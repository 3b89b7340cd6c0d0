// ASCEND_RT_VISIBLE_DEVICES as the CANN runtime applies it (docs/mock-sources.md, "Devices"):
// the listed host devices become the process's devices 0..n-1; aclrtGetDeviceCount counts
// them and a device id beyond them is refused (Runtime::ChgUserDevIdToDeviceId).
#include <gtest/gtest.h>

#include <cstdlib>

#include "npu/acl_api.h"

namespace {

TEST(VisibleDevices, TheListedDevicesAreTheProcesssDevicesFromZero) {
  uint32_t count = 0;
  ASSERT_EQ(aclrtGetDeviceCount(&count), ACL_SUCCESS);
  EXPECT_EQ(count, 2u);  // "4,6" of the 8 host devices
  EXPECT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  EXPECT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
  int32_t device = -1;
  ASSERT_EQ(aclrtGetDevice(&device), ACL_SUCCESS);
  EXPECT_EQ(device, 1);  // the process's own id, not the host's 6
  EXPECT_EQ(aclrtSetDevice(2), ACL_ERROR_RT_INVALID_DEVICEID);
  EXPECT_EQ(aclrtSetDevice(4), ACL_ERROR_RT_INVALID_DEVICEID);
  EXPECT_EQ(aclrtResetDevice(1), ACL_SUCCESS);
  EXPECT_EQ(aclrtResetDevice(0), ACL_SUCCESS);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("ASCEND_RT_VISIBLE_DEVICES", "4,6", 1);  // read once, at the runtime's first use
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
