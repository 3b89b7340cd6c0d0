// The fake libmspti: record layout, device timestamps, buffer delivery as real MSPTI does it
// (Ascend/mspti ActivityManager::Record / FlushAll, msptiUnsubscribe: docs/mock-sources.md),
// preload requirement. Runs with LD_PRELOAD=libmspti.so (set by CMake), as MSPTI demands on a
// real host.
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

// Buffers lent by the tests below: `size` bytes each, the first `refuse` requests refused.
struct Lender {
  size_t size = 4096;
  int refuse = 0;
  int requests = 0, refused = 0, null_completes = 0;
  size_t kernels = 0;
  std::vector<size_t> valid;  // of each completed non-NULL buffer, in order
} g_lender;

void lend(uint8_t **buffer, size_t *size, size_t *max_records) {
  ++g_lender.requests;
  *max_records = 0;
  if (g_lender.refuse > 0) {
    --g_lender.refuse;
    ++g_lender.refused;
    *buffer = nullptr;
    *size = 0;
    return;
  }
  *size = g_lender.size;
  *buffer = static_cast<uint8_t *>(aligned_alloc(8, (g_lender.size + 7) / 8 * 8));
}

void take_back(uint8_t *buffer, size_t, size_t valid) {
  if (buffer == nullptr) {
    ++g_lender.null_completes;
    return;
  }
  g_lender.valid.push_back(valid);
  msptiActivity *record = nullptr;
  while (msptiActivityGetNextRecord(buffer, valid, &record) == MSPTI_SUCCESS) {
    if (record->kind == MSPTI_ACTIVITY_KIND_KERNEL) ++g_lender.kernels;
  }
  free(buffer);
}

// Subscribes with the lender, runs `kernels` kernels to their end, and leaves the flush and the
// unsubscription to the test.
msptiSubscriberHandle collect(int kernels) {
  msptiSubscriberHandle sub = nullptr;
  EXPECT_EQ(msptiSubscribe(&sub, nullptr, nullptr), MSPTI_SUCCESS);
  EXPECT_EQ(msptiActivityRegisterCallbacks(lend, take_back), MSPTI_SUCCESS);
  EXPECT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  EXPECT_EQ(aclrtSetDevice(2), ACL_SUCCESS);
  aclrtFuncHandle k = nullptr;
  EXPECT_EQ(npumock_get_function("Tiny", 1, &k), ACL_SUCCESS);
  for (int i = 0; i < kernels; ++i) EXPECT_EQ(aclrtLaunchKernel(k, 1, nullptr, 0, nullptr), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  return sub;
}

TEST(MsptiBuffers, ABufferGoesBackOnceEightyPercentFull) {
  // 1000 bytes: 14 records (784) are under 800, the 15th (840) is not; the 16th record goes
  // into a new buffer. The last buffer comes back with the flush.
  g_lender = Lender{};
  g_lender.size = 1000;
  msptiSubscriberHandle sub = collect(40);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.valid, (std::vector<size_t>{15 * 56, 15 * 56, 10 * 56}));
  EXPECT_EQ(g_lender.kernels, 40u);
  EXPECT_EQ(g_lender.requests, 3);
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
}

TEST(MsptiBuffers, EveryRefusedRequestLosesOneRecord) {
  // A refused buffer (NULL, size 0) is "full" at once: the next record hands it back as
  // complete(NULL, 0, 0) and asks again.
  g_lender = Lender{};
  g_lender.refuse = 5;
  msptiSubscriberHandle sub = collect(20);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.refused, 5);
  EXPECT_EQ(g_lender.requests, 6);
  EXPECT_EQ(g_lender.null_completes, 5);
  EXPECT_EQ(g_lender.kernels, 15u) << "the first 5 records were lost, one per refusal";
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
}

TEST(MsptiBuffers, ABufferTooSmallLosesEveryRecordUntilTheFlush) {
  g_lender = Lender{};
  g_lender.size = 40;  // under one kernel record, and never 80% full
  msptiSubscriberHandle sub = collect(5);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.requests, 1);
  EXPECT_EQ(g_lender.valid, std::vector<size_t>{0});
  EXPECT_EQ(g_lender.kernels, 0u);
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
}

TEST(MsptiBuffers, UnsubscribingHandsNothingBackAFlushDoes) {
  g_lender = Lender{};
  msptiSubscriberHandle sub = collect(10);
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
  EXPECT_TRUE(g_lender.valid.empty());
  EXPECT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS) << "no subscriber: nothing to do";
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.kernels, 10u);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.valid.size(), 1u) << "no current buffer: nothing to hand back";
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
