// The fake libmspti: record layout, device timestamps, buffer delivery, preload requirement.
// Runs with LD_PRELOAD=libmspti.so (set by CMake), as MSPTI demands on a real host.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

#include "npu/mspti_api.h"
#include "npu/npumock.h"

static_assert(offsetof(msptiActivityKernel, start) == 4, "packed layout");
static_assert(offsetof(msptiActivityKernel, end) == 12, "packed layout");
static_assert(offsetof(msptiActivityKernel, ds) == 20, "packed layout");
static_assert(offsetof(msptiActivityKernel, correlationId) == 28, "packed layout");
static_assert(offsetof(msptiActivityKernel, type) == 36, "packed layout");
static_assert(offsetof(msptiActivityKernel, name) == 44, "packed layout");
static_assert(offsetof(msptiActivityApi, name) == 36, "packed layout");

namespace {

struct Collected {
  std::vector<msptiActivityKernel> kernels;
  size_t api_records = 0;
} g_collected;

void request(uint8_t **buffer, size_t *size, size_t *max_records) {
  *size = 4096;  // small on purpose: forces several buffers
  *buffer = static_cast<uint8_t *>(aligned_alloc(8, *size));
  *max_records = 0;
}

void complete(uint8_t *buffer, size_t, size_t valid) {
  msptiActivity *record = nullptr;
  while (msptiActivityGetNextRecord(buffer, valid, &record) == MSPTI_SUCCESS) {
    if (record->kind == MSPTI_ACTIVITY_KIND_KERNEL) {
      g_collected.kernels.push_back(*reinterpret_cast<msptiActivityKernel *>(record));
    } else if (record->kind == MSPTI_ACTIVITY_KIND_API) {
      ++g_collected.api_records;
    }
  }
  free(buffer);
}

TEST(Mspti, KernelRecordsCarryExactDeviceTimestamps) {
  msptiSubscriberHandle sub = nullptr, second = nullptr;
  ASSERT_EQ(msptiSubscribe(&sub, nullptr, nullptr), MSPTI_SUCCESS);
  EXPECT_EQ(msptiSubscribe(&second, nullptr, nullptr), MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED);
  ASSERT_EQ(msptiActivityRegisterCallbacks(request, complete), MSPTI_SUCCESS);
  ASSERT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  ASSERT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_API), MSPTI_SUCCESS);

  ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
  aclrtStream stream = nullptr;
  ASSERT_EQ(aclrtCreateStream(&stream), ACL_SUCCESS);
  aclrtFuncHandle k = nullptr;
  ASSERT_EQ(npumock_get_function("FusedAttention", 500, &k), ACL_SUCCESS);
  const int kKernels = 100;  // 100 x 56 bytes spans two 4 KiB buffers
  for (int i = 0; i < kKernels; ++i) ASSERT_EQ(aclrtLaunchKernel(k, 1, nullptr, 0, stream), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(1), MSPTI_SUCCESS);

  ASSERT_EQ(g_collected.kernels.size(), size_t(kKernels));
  for (size_t i = 0; i < g_collected.kernels.size(); ++i) {
    const msptiActivityKernel &r = g_collected.kernels[i];
    EXPECT_EQ(r.end - r.start, 500000u);
    EXPECT_EQ(r.ds.deviceId, 1u);
    EXPECT_STREQ(r.name, "FusedAttention");
    EXPECT_STREQ(r.type, "KERNEL_AICORE");
    if (i > 0) {
      EXPECT_GE(r.start, g_collected.kernels[i - 1].end) << "one kernel at a time";
    }
  }
  EXPECT_GE(g_collected.api_records, size_t(kKernels)) << "one API record per launch at least";
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
  EXPECT_EQ(aclrtDestroyStream(stream), ACL_SUCCESS);
}

TEST(Mspti, RefusesActivityWithoutPreload) {
  const std::string saved = getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "";
  unsetenv("LD_PRELOAD");
  EXPECT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_ERROR_WITHOUT_LD_PRELOAD);
  setenv("LD_PRELOAD", saved.c_str(), 1);
  EXPECT_EQ(msptiActivityEnable(static_cast<msptiActivityKind>(42)), MSPTI_ERROR_INVALID_PARAMETER);
}

TEST(Mspti, PreloadedForwardersReachTheRuntime) {
  // aclrtMalloc resolves to libmspti's forwarder (first in LD_PRELOAD), which forwards to
  // libascendcl through dlopen + dlsym(handle): the call count proves it arrived.
  const uint64_t before = npumock_call_count("aclrtMalloc");
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  void *p = nullptr;
  ASSERT_EQ(aclrtMalloc(&p, 1024, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
  EXPECT_EQ(aclrtFree(p), ACL_SUCCESS);
  EXPECT_EQ(npumock_call_count("aclrtMalloc"), before + 1);
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
