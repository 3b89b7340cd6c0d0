// The fake libmspti: record layout, device timestamps, buffer delivery as real MSPTI does it
// (Ascend/mspti ActivityManager::Record / FlushAll / GetNextRecord / UnRegister,
// msptiUnsubscribe: docs/mock-sources.md), the kinds that need the preload, the buffer-size
// warning, time bases, device ids and types. Runs with LD_PRELOAD=libmspti.so (set by CMake);
// ctest runs every test in a process of its own, so a test may set the knobs the mock reads once
// (NPU_MOCK_MSPTI_TIME, ASCEND_RT_VISIBLE_DEVICES, LD_PRELOAD for MSPTI) before its first call.
#include <gtest/gtest.h>

#include <time.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
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
  // Disabling the kind first moves the device's records into MSPTI's buffer (UnRegister's
  // FlushDevProfData); what is still in the channels at msptiUnsubscribe is lost.
  ASSERT_EQ(msptiActivityDisable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
  EXPECT_TRUE(g_lender.valid.empty());
  EXPECT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS) << "no subscriber: nothing to do";
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.kernels, 10u);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.valid.size(), 1u) << "no current buffer: nothing to hand back";
}

// Ascend/mspti activity_manager.cpp IsNeedLdPreload: only HCCL, MEMORY, MEMSET and MEMCPY need
// libmspti.so in LD_PRELOAD (read once: this process's first look is without it).
TEST(Mspti, OnlyHcclAndMemoryKindsNeedThePreload) {
  const std::string saved = getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "";
  unsetenv("LD_PRELOAD");
  for (int kind : {1, 2, 3, 8, 9, 10, 11, 12}) {
    EXPECT_EQ(msptiActivityEnable(static_cast<msptiActivityKind>(kind)), MSPTI_SUCCESS) << kind;
    EXPECT_EQ(msptiActivityDisable(static_cast<msptiActivityKind>(kind)), MSPTI_SUCCESS) << kind;
  }
  for (int kind : {4, 5, 6, 7}) {
    EXPECT_EQ(msptiActivityEnable(static_cast<msptiActivityKind>(kind)),
              MSPTI_ERROR_WITHOUT_LD_PRELOAD) << kind;
  }
  setenv("LD_PRELOAD", saved.c_str(), 1);
  EXPECT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_MEMCPY), MSPTI_ERROR_WITHOUT_LD_PRELOAD)
      << "LD_PRELOAD was read once";
  for (int kind : {0, 13, 42}) {
    EXPECT_EQ(msptiActivityEnable(static_cast<msptiActivityKind>(kind)),
              MSPTI_ERROR_INVALID_PARAMETER) << kind;
  }
}

TEST(Mspti, KindsThatNeedThePreloadEnableWithIt) {
  for (int kind : {4, 5, 6, 7}) {
    EXPECT_EQ(msptiActivityEnable(static_cast<msptiActivityKind>(kind)), MSPTI_SUCCESS) << kind;
  }
}

// A buffer of three kernel records at known places.
struct ThreeKernels {
  alignas(8) uint8_t bytes[3 * sizeof(msptiActivityKernel)] = {};
  ThreeKernels() {
    for (int i = 0; i < 3; ++i) {
      msptiActivityKernel k{};
      k.kind = MSPTI_ACTIVITY_KIND_KERNEL;
      k.correlationId = uint64_t(i);
      memcpy(bytes + i * sizeof k, &k, sizeof k);
    }
  }
  uint8_t *at(int i) { return bytes + i * sizeof(msptiActivityKernel); }
};

// ActivityManager::GetNextRecord: a thread_local cursor; *record is never read.
TEST(Mspti, GetNextRecordKeepsAThreadLocalCursorAndIgnoresRecord) {
  ThreeKernels a, b;
  msptiActivity *record = reinterpret_cast<msptiActivity *>(a.at(2));  // ignored
  ASSERT_EQ(msptiActivityGetNextRecord(a.bytes, sizeof a.bytes, &record), MSPTI_SUCCESS);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(record), a.at(0));
  record = nullptr;
  ASSERT_EQ(msptiActivityGetNextRecord(a.bytes, sizeof a.bytes, &record), MSPTI_SUCCESS);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(record), a.at(1));
  // Another buffer on the same thread goes on where the cursor is.
  ASSERT_EQ(msptiActivityGetNextRecord(b.bytes, sizeof b.bytes, &record), MSPTI_SUCCESS);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(record), b.at(2));
  EXPECT_EQ(msptiActivityGetNextRecord(b.bytes, sizeof b.bytes, &record),
            MSPTI_ERROR_MAX_LIMIT_REACHED) << "the end resets the cursor";
  ASSERT_EQ(msptiActivityGetNextRecord(a.bytes, sizeof a.bytes, &record), MSPTI_SUCCESS);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(record), a.at(0));
  // An unknown kind: INNER, and the cursor stays there.
  const msptiActivityKind unknown = static_cast<msptiActivityKind>(77);
  memcpy(a.at(1), &unknown, sizeof unknown);
  EXPECT_EQ(msptiActivityGetNextRecord(a.bytes, sizeof a.bytes, &record), MSPTI_ERROR_INNER);
  EXPECT_EQ(msptiActivityGetNextRecord(a.bytes, sizeof a.bytes, &record), MSPTI_ERROR_INNER);
  // A call with no valid bytes resets it (what a reader does after a walk that ended early).
  EXPECT_EQ(msptiActivityGetNextRecord(a.bytes, 0, &record), MSPTI_ERROR_MAX_LIMIT_REACHED);
  ASSERT_EQ(msptiActivityGetNextRecord(b.bytes, sizeof b.bytes, &record), MSPTI_SUCCESS);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(record), b.at(0));
  EXPECT_EQ(msptiActivityGetNextRecord(nullptr, 8, &record), MSPTI_ERROR_INVALID_PARAMETER);
}

// ActivityBuffer::Init: a warning for every buffer under 2 MiB, none at 2 MiB.
TEST(MsptiBuffers, EveryBufferUnderTwoMibIsWarnedAbout) {
  g_lender = Lender{};
  g_lender.size = 1000;
  testing::internal::CaptureStderr();
  msptiSubscriberHandle sub = collect(40);  // three buffers (ABufferGoesBackOnceEightyPercentFull)
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  std::string err = testing::internal::GetCapturedStderr();
  const std::string warning =
      "Please malloc the Activity Buffer more than 2MB. Current is 1000 Bytes.";
  size_t count = 0;
  for (size_t at = err.find(warning); at != std::string::npos; at = err.find(warning, at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u) << err;
  g_lender.size = size_t(2) << 20;
  testing::internal::CaptureStderr();
  aclrtFuncHandle k = nullptr;
  ASSERT_EQ(npumock_get_function("Tiny", 1, &k), ACL_SUCCESS);
  ASSERT_EQ(aclrtLaunchKernel(k, 1, nullptr, 0, nullptr), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("Please malloc"), std::string::npos) << err;
  EXPECT_EQ(g_lender.kernels, 41u);
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
}

// ActivityManager::UnRegister: the kind's finished work reaches the buffer, later work is not
// recorded, the subscription stays and a new Enable resumes.
TEST(MsptiBuffers, DisablePausesWithoutUnsubscribing) {
  g_lender = Lender{};
  g_lender.size = size_t(2) << 20;
  msptiSubscriberHandle sub = collect(10);
  ASSERT_EQ(msptiActivityDisable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  aclrtFuncHandle k = nullptr;
  ASSERT_EQ(npumock_get_function("Tiny", 1, &k), ACL_SUCCESS);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(aclrtLaunchKernel(k, 1, nullptr, 0, nullptr), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.kernels, 10u) << "nothing recorded while disabled";
  ASSERT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(aclrtLaunchKernel(k, 1, nullptr, 0, nullptr), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(g_lender.kernels, 17u);
  msptiSubscriberHandle second = nullptr;
  EXPECT_EQ(msptiSubscribe(&second, nullptr, nullptr), MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)
      << "still subscribed";
  ASSERT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Kernels of `type` on user device `device`, collected from a subscription of their own.
std::vector<msptiActivityKernel> kernels_of(int device, const char *type, int n) {
  g_collected = Collected{};
  msptiSubscriberHandle sub = nullptr;
  EXPECT_EQ(msptiSubscribe(&sub, nullptr, nullptr), MSPTI_SUCCESS);
  EXPECT_EQ(msptiActivityRegisterCallbacks(request, complete), MSPTI_SUCCESS);
  EXPECT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  EXPECT_EQ(aclrtSetDevice(device), ACL_SUCCESS);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(npumock_launch_kernel(nullptr, nullptr, "Op", type), ACL_SUCCESS);
  }
  EXPECT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  EXPECT_EQ(msptiActivityFlushAll(0), MSPTI_SUCCESS);
  EXPECT_EQ(msptiUnsubscribe(sub), MSPTI_SUCCESS);
  return g_collected.kernels;
}

// ContextManager::GetRealTimeFromSysCnt: CLOCK_REALTIME ns; the task track's device id is the
// driver's (ASCEND_RT_VISIBLE_DEVICES=4,5,6: user device 1 is driver device 5).
TEST(MsptiRecords, RealtimeNanosecondsAndTheDriversDeviceId) {
  setenv("ASCEND_RT_VISIBLE_DEVICES", "4,5,6", 1);
  const uint64_t before = realtime_ns();
  const auto kernels = kernels_of(1, "KERNEL_AIVEC", 3);
  const uint64_t after = realtime_ns();
  ASSERT_EQ(kernels.size(), 3u);
  for (const msptiActivityKernel &k : kernels) {
    EXPECT_EQ(k.ds.deviceId, 5u);
    EXPECT_STREQ(k.type, "KERNEL_AIVEC");
    EXPECT_GE(k.start, before - 1000000) << "realtime, within a millisecond of the host's";
    EXPECT_LE(k.end, after + 1000000);
    EXPECT_EQ(k.end - k.start, 10000u) << "the mock's default 10 us kernel";
  }
}

// GetRealTimeFromSysCnt without a frequency: the raw counter (NPU_MOCK_SYSCNT_MHZ ticks per us).
TEST(MsptiRecords, RawCounterTicksWhenTheFrequencyIsUnknown) {
  setenv("NPU_MOCK_MSPTI_TIME", "ticks", 1);
  setenv("NPU_MOCK_SYSCNT_MHZ", "50", 1);
  const auto kernels = kernels_of(0, "KERNEL_AICORE", 2);
  ASSERT_EQ(kernels.size(), 2u);
  for (const msptiActivityKernel &k : kernels) {
    EXPECT_EQ(k.end - k.start, 500u) << "10 us at 50 MHz";
    EXPECT_LT(k.start, 1000000000000000000ull) << "not a realtime timestamp";
    EXPECT_EQ(k.ds.deviceId, 0u);
  }
}

// kernel_parser.cpp: a record only for task types whose name starts with KERNEL.
TEST(MsptiRecords, OnlyKernelTypesMakeRecords) {
  EXPECT_TRUE(kernels_of(0, "MIX_AIC", 4).empty());
  const auto kernels = kernels_of(0, "KERNEL_MIX_AIC", 4);
  ASSERT_EQ(kernels.size(), 4u);
  EXPECT_STREQ(kernels[0].type, "KERNEL_MIX_AIC");
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
