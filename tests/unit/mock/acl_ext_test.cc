// The ACL entry points torch_npu and vllm-ascend call beyond the basics: contexts, allocations
// with a config, conditional and batch copies, waits with a timeout, the synchronous graph
// replay and task-group updates. Every expected code is the real runtime's (docs/mock-sources.md).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "npu/npumock.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Kernel names in the order the device ran them (the mock's activity hook, as libmspti uses it).
std::mutex g_ran_mu;
std::vector<std::string> g_ran;
void on_activity(const npumock_activity *a) {
  if (a->kind != 2) return;
  std::lock_guard<std::mutex> lock(g_ran_mu);
  g_ran.emplace_back(a->name);
}
std::vector<std::string> take_ran() {
  std::lock_guard<std::mutex> lock(g_ran_mu);
  std::vector<std::string> out;
  out.swap(g_ran);
  return out;
}

class AclExtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&stream_), ACL_SUCCESS);
    ASSERT_EQ(npumock_get_function("k100ms", 100000, &k100ms_), ACL_SUCCESS);
    ASSERT_EQ(aclrtMalloc(&dev_, 4096, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
    ASSERT_EQ(aclrtMallocHost(&pinned_, 4096), ACL_SUCCESS);
    pageable_ = aligned_alloc(64, 4096);
    ASSERT_NE(pageable_, nullptr);
    memset(dev_, 0x11, 4096);  // device pages are host-visible in the mock
  }
  void TearDown() override {
    EXPECT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
    EXPECT_EQ(aclrtDestroyStream(stream_), ACL_SUCCESS);
    EXPECT_EQ(aclrtFree(dev_), ACL_SUCCESS);
    EXPECT_EQ(aclrtFreeHost(pinned_), ACL_SUCCESS);
    free(pageable_);
  }
  aclrtStream stream_ = nullptr;
  aclrtFuncHandle k100ms_ = nullptr;
  void *dev_ = nullptr;
  void *pinned_ = nullptr;
  void *pageable_ = nullptr;
};

TEST(Context, SetDeviceBindsThePrimaryContextSharedByEveryThread) {
  std::thread([] {
    aclrtContext ctx = nullptr;
    EXPECT_EQ(aclrtGetCurrentContext(&ctx), ACL_ERROR_RT_CONTEXT_NULL) << "no device bound";
    EXPECT_EQ(aclrtGetCurrentContext(nullptr), ACL_ERROR_INVALID_PARAM);
  }).join();
  aclrtContext a = nullptr, b = nullptr;
  std::thread([&a] {
    ASSERT_EQ(aclrtSetDevice(2), ACL_SUCCESS);
    ASSERT_EQ(aclrtGetCurrentContext(&a), ACL_SUCCESS);
  }).join();
  std::thread([&b] {
    ASSERT_EQ(aclrtSetDevice(2), ACL_SUCCESS);
    ASSERT_EQ(aclrtGetCurrentContext(&b), ACL_SUCCESS);
  }).join();
  EXPECT_NE(a, nullptr);
  EXPECT_EQ(a, b) << "the device's default context, the same pointer on every thread";
  EXPECT_EQ(aclrtDestroyContext(a), ACL_ERROR_RT_CONTEXT_NULL) << "a primary context";
  std::thread([a] {
    // torch_npu's worker threads: bind the main thread's context instead of aclrtSetDevice.
    ASSERT_EQ(aclrtSetCurrentContext(a), ACL_SUCCESS);
    int32_t dev = -1;
    ASSERT_EQ(aclrtGetDevice(&dev), ACL_SUCCESS);
    EXPECT_EQ(dev, 2);
    aclrtStream s = nullptr;
    ASSERT_EQ(aclrtCreateStream(&s), ACL_SUCCESS);
    EXPECT_EQ(aclrtDestroyStream(s), ACL_SUCCESS);
  }).join();
}

TEST(Context, CreateBindsTheCallerAndDestroyUnbindsIt) {
  std::thread([] {
    aclrtContext c = nullptr, current = nullptr, primary = nullptr;
    EXPECT_EQ(aclrtCreateContext(nullptr, 1), ACL_ERROR_INVALID_PARAM);
    EXPECT_EQ(aclrtCreateContext(&c, 4), ACL_ERROR_RT_INVALID_DEVICEID) << "NPU_MOCK_DEVICES=4";
    ASSERT_EQ(aclrtCreateContext(&c, 1), ACL_SUCCESS);
    int32_t dev = -1;
    ASSERT_EQ(aclrtGetDevice(&dev), ACL_SUCCESS) << "aclrtCreateContext binds the calling thread";
    EXPECT_EQ(dev, 1);
    ASSERT_EQ(aclrtGetCurrentContext(&current), ACL_SUCCESS);
    EXPECT_EQ(current, c);
    std::thread([&primary] {
      ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
      ASSERT_EQ(aclrtGetCurrentContext(&primary), ACL_SUCCESS);
    }).join();
    EXPECT_NE(primary, c) << "a created context is not the device's default one";
    // Another thread bound to c loses it when c is destroyed.
    std::thread([c] {
      ASSERT_EQ(aclrtSetCurrentContext(c), ACL_SUCCESS);
    }).join();
    ASSERT_EQ(aclrtDestroyContext(c), ACL_SUCCESS);
    EXPECT_EQ(aclrtGetDevice(&dev), ACL_ERROR_RT_CONTEXT_NULL) << "the destroyed context was current";
    EXPECT_EQ(aclrtDestroyContext(c), ACL_ERROR_RT_CONTEXT_NULL) << "already destroyed";
    EXPECT_EQ(aclrtSetCurrentContext(c), ACL_ERROR_RT_PARAM_INVALID);
    EXPECT_EQ(aclrtSetCurrentContext(nullptr), ACL_ERROR_INVALID_PARAM);
    EXPECT_EQ(aclrtDestroyContext(nullptr), ACL_ERROR_INVALID_PARAM);
    int dummy = 0;
    EXPECT_EQ(aclrtDestroyContext(&dummy), ACL_ERROR_RT_CONTEXT_NULL);
    ASSERT_EQ(aclrtSetCurrentContext(primary), ACL_SUCCESS);
    EXPECT_EQ(aclrtGetDevice(&dev), ACL_SUCCESS);
    EXPECT_EQ(dev, 1);
  }).join();
}

TEST_F(AclExtTest, AllocationsWithAConfig) {
  void *p = nullptr;
  ASSERT_EQ(aclrtMallocWithCfg(&p, 8192, ACL_MEM_MALLOC_HUGE_FIRST, nullptr), ACL_SUCCESS);
  char src[8192];
  memset(src, 3, sizeof src);
  ASSERT_EQ(aclrtMemcpy(p, 8192, src, 8192, ACL_MEMCPY_HOST_TO_DEVICE), ACL_SUCCESS)
      << "device memory like aclrtMalloc's";
  EXPECT_EQ(aclrtFree(p), ACL_SUCCESS);
  aclrtMallocAttribute attr{};
  attr.attr = ACL_RT_MEM_ATTR_DEVICE_ID;
  attr.value.deviceId = 0;
  aclrtMallocConfig cfg{&attr, 1};
  ASSERT_EQ(aclrtMallocWithCfg(&p, 64, ACL_MEM_MALLOC_NORMAL_ONLY, &cfg), ACL_SUCCESS);
  EXPECT_EQ(aclrtFree(p), ACL_SUCCESS);
  ASSERT_EQ(aclrtMallocWithCfg(&p, 64, static_cast<aclrtMemMallocPolicy>(77), nullptr), ACL_SUCCESS)
      << "an out-of-range policy only chooses the page size";
  EXPECT_EQ(aclrtFree(p), ACL_SUCCESS);
  attr.value.deviceId = 3;
  EXPECT_EQ(aclrtMallocWithCfg(&p, 64, ACL_MEM_MALLOC_HUGE_FIRST, &cfg), ACL_ERROR_RT_PARAM_INVALID)
      << "device id attribute of another device";
  aclrtMallocConfig no_attrs{nullptr, 1};
  EXPECT_EQ(aclrtMallocWithCfg(&p, 64, ACL_MEM_MALLOC_HUGE_FIRST, &no_attrs), ACL_ERROR_INVALID_PARAM);
  aclrtMallocConfig empty{nullptr, 0};
  EXPECT_EQ(aclrtMallocWithCfg(&p, 64, ACL_MEM_MALLOC_HUGE_FIRST, &empty), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtMallocWithCfg(&p, 0, ACL_MEM_MALLOC_HUGE_FIRST, nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtMallocWithCfg(nullptr, 64, ACL_MEM_MALLOC_HUGE_FIRST, nullptr), ACL_ERROR_INVALID_PARAM);

  void *h = nullptr;
  ASSERT_EQ(aclrtMallocHostWithCfg(&h, 4096, nullptr), ACL_SUCCESS);
  EXPECT_EQ(aclrtMallocHostWithCfg(&h, 0, nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtMallocHostWithCfg(&h, 64, &empty), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtFreeHost(h), ACL_SUCCESS);
  EXPECT_EQ(aclrtFreeHost(h), ACL_ERROR_RT_PARAM_INVALID);
  std::thread([] {
    void *q = nullptr;
    EXPECT_EQ(aclrtMallocWithCfg(&q, 64, ACL_MEM_MALLOC_HUGE_FIRST, nullptr), ACL_ERROR_RT_CONTEXT_NULL);
    EXPECT_EQ(aclrtMallocHostWithCfg(&q, 64, nullptr), ACL_ERROR_RT_CONTEXT_NULL);
  }).join();
}

TEST_F(AclExtTest, ConditionalCopyBlocksOnlyForPageableHostMemory) {
  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  auto t0 = Clock::now();
  ASSERT_EQ(aclrtMemcpyAsyncWithCondition(pinned_, 4096, dev_, 4096, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_SUCCESS);
  EXPECT_LT(ms_since(t0), 50.0) << "pinned memory: an asynchronous copy";
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_EQ(static_cast<unsigned char *>(pinned_)[4095], 0x11);

  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  t0 = Clock::now();
  ASSERT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 4096, dev_, 4096, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 90.0) << "pageable memory: returns after the stream and the copy";
  EXPECT_EQ(static_cast<unsigned char *>(pageable_)[0], 0x11) << "the copy is done on return";

  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 4096, dev_, 0, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_SUCCESS);
  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(nullptr, 4096, dev_, 64, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 4096, dev_, 64, static_cast<aclrtMemcpyKind>(7),
                                          stream_),
            ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 32, dev_, 64, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_ERROR_RT_PARAM_INVALID) << "count > destMax";
  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 64, pinned_, 64, ACL_MEMCPY_HOST_TO_HOST, stream_),
            ACL_ERROR_RT_FEATURE_NOT_SUPPORT);
  ASSERT_EQ(aclmdlRICaptureBegin(stream_, 0), ACL_SUCCESS);
  EXPECT_EQ(aclrtMemcpyAsyncWithCondition(pageable_, 64, dev_, 64, ACL_MEMCPY_DEVICE_TO_HOST, stream_),
            ACL_ERROR_RT_PARAM_INVALID) << "pageable memory cannot be captured";
  aclmdlRI graph = nullptr;
  ASSERT_EQ(aclmdlRICaptureEnd(stream_, &graph), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
}

aclrtMemcpyBatchAttr d2h_attr(uint32_t device) {
  aclrtMemcpyBatchAttr a{};
  a.dstLoc.type = ACL_MEM_LOCATION_TYPE_HOST;
  a.srcLoc.type = ACL_MEM_LOCATION_TYPE_DEVICE;
  a.srcLoc.id = device;
  return a;
}

TEST_F(AclExtTest, MemcpyBatchIsSynchronousAndNamesTheFailingCopy) {
  char *dev = static_cast<char *>(dev_);
  void *dsts[2] = {pageable_, static_cast<char *>(pinned_) + 1024};
  void *srcs[2] = {dev, dev + 1024};
  size_t sizes[2] = {1024, 512};
  size_t maxs[2] = {4096, 1024};
  aclrtMemcpyBatchAttr attrs[1] = {d2h_attr(0)};
  size_t idx[1] = {0};
  size_t fail = 7;
  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  const auto t0 = Clock::now();
  ASSERT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, attrs, idx, 1, &fail), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 90.0) << "queued behind the device's work, and waited for";
  EXPECT_EQ(fail, SIZE_MAX);
  EXPECT_EQ(static_cast<unsigned char *>(pageable_)[1023], 0x11);
  EXPECT_EQ(static_cast<unsigned char *>(pinned_)[1024 + 511], 0x11);

  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, attrs, idx, 1, nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 0, attrs, idx, 1, &fail), ACL_ERROR_INVALID_PARAM);
  size_t zeros[2] = {0, 0};
  fail = 7;
  EXPECT_EQ(aclrtMemcpyBatch(nullptr, nullptr, nullptr, zeros, 2, nullptr, nullptr, 0, &fail), ACL_SUCCESS)
      << "nothing to copy: no other argument is checked";
  EXPECT_EQ(fail, SIZE_MAX);
  size_t small[2] = {512, 1024};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, small, srcs, sizes, 2, attrs, idx, 1, &fail), ACL_ERROR_INVALID_PARAM)
      << "destMaxs[0] < sizes[0]";
  attrs[0].rsv[3] = 1;
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, attrs, idx, 1, &fail), ACL_ERROR_INVALID_PARAM);
  attrs[0].rsv[3] = 0;
  fail = 7;
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, attrs, idx, 0, &fail), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(fail, SIZE_MAX) << "not about one copy";
  aclrtMemcpyBatchAttr three[3] = {d2h_attr(0), d2h_attr(0), d2h_attr(0)};
  size_t idx3[3] = {0, 1, 2};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, three, idx3, 3, &fail), ACL_ERROR_RT_PARAM_INVALID)
      << "numAttrs > numBatches";
  size_t bad_first[1] = {1};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, attrs, bad_first, 1, &fail), ACL_ERROR_RT_PARAM_INVALID);
  // Two attribute sets; the second says device 1, but copy 1 reads device 0's memory.
  aclrtMemcpyBatchAttr two[2] = {d2h_attr(0), d2h_attr(1)};
  size_t idx2[2] = {0, 1};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, two, idx2, 2, &fail), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(fail, 1u);
  size_t not_increasing[2] = {0, 0};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, srcs, sizes, 2, two, not_increasing, 2, &fail),
            ACL_ERROR_RT_PARAM_INVALID);
  void *h2h_srcs[2] = {pinned_, dev};
  EXPECT_EQ(aclrtMemcpyBatch(dsts, maxs, h2h_srcs, sizes, 2, attrs, idx, 1, &fail), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(fail, 0u) << "copy 0's source is host memory declared as device memory";
}

TEST_F(AclExtTest, MemcpyBatchAsyncQueuesPinnedCopiesAndWaitsForPageableOnes) {
  char *dev = static_cast<char *>(dev_);
  void *dsts[1] = {pinned_};
  void *srcs[1] = {dev};
  size_t sizes[1] = {4096};
  size_t maxs[1] = {4096};
  aclrtMemcpyBatchAttr attrs[1] = {d2h_attr(0)};
  size_t idx[1] = {0};
  size_t fail = 0;
  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  auto t0 = Clock::now();
  ASSERT_EQ(aclrtMemcpyBatchAsync(dsts, maxs, srcs, sizes, 1, attrs, idx, 1, &fail, stream_), ACL_SUCCESS);
  EXPECT_LT(ms_since(t0), 50.0);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_EQ(static_cast<unsigned char *>(pinned_)[7], 0x11);

  dsts[0] = pageable_;
  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  t0 = Clock::now();
  ASSERT_EQ(aclrtMemcpyBatchAsync(dsts, maxs, srcs, sizes, 1, attrs, idx, 1, &fail, stream_), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 90.0) << "pageable memory: the stream, then the copy, before returning";
  EXPECT_EQ(aclrtMemcpyBatchAsync(dsts, maxs, srcs, sizes, 1, attrs, idx, 1, nullptr, stream_),
            ACL_ERROR_INVALID_PARAM);
  void *two_dsts[2] = {pinned_, pageable_};
  void *two_srcs[2] = {dev, dev};
  size_t two_sizes[2] = {64, 0};
  size_t two_maxs[2] = {64, 64};
  EXPECT_EQ(aclrtMemcpyBatchAsync(two_dsts, two_maxs, two_srcs, two_sizes, 2, attrs, idx, 1, &fail, stream_),
            ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(fail, 1u) << "a zero-size copy inside an asynchronous batch";
}

TEST_F(AclExtTest, WaitsWithATimeoutReturnTheRuntimeCodes) {
  EXPECT_EQ(aclrtSynchronizeStreamWithTimeout(stream_, -2), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtSynchronizeStreamWithTimeout(stream_, 0), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtSynchronizeDeviceWithTimeout(0), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtSynchronizeDeviceWithTimeout(-2), ACL_ERROR_RT_PARAM_INVALID);
  aclrtEvent e = nullptr;
  ASSERT_EQ(aclrtCreateEvent(&e), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(e, 10), ACL_SUCCESS) << "never recorded";
  ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  ASSERT_EQ(aclrtRecordEvent(e, stream_), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeStreamWithTimeout(stream_, 10), ACL_ERROR_RT_STREAM_SYNC_TIMEOUT);
  EXPECT_EQ(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, 507046);
  EXPECT_EQ(aclrtSynchronizeDeviceWithTimeout(10), ACL_ERROR_RT_STREAM_SYNC_TIMEOUT);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(e, 10), ACL_ERROR_RT_EVENT_SYNC_TIMEOUT);
  EXPECT_EQ(ACL_ERROR_RT_EVENT_SYNC_TIMEOUT, 507047);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(e, -2), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(e, 0), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(nullptr, 10), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(nullptr, -5), ACL_ERROR_RT_PARAM_INVALID)
      << "ACL checks the timeout before the event";
  EXPECT_EQ(aclrtSynchronizeEventWithTimeout(e, 5000), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeStreamWithTimeout(stream_, 5000), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeDeviceWithTimeout(-1), ACL_SUCCESS);
  EXPECT_EQ(aclrtDestroyEvent(e), ACL_SUCCESS);
}

TEST_F(AclExtTest, SynchronousGraphReplayWaitsAndTimesOut) {
  ASSERT_EQ(aclmdlRICaptureBegin(stream_, 0), ACL_SUCCESS);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(aclrtLaunchKernel(k100ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  aclmdlRI graph = nullptr;
  ASSERT_EQ(aclmdlRICaptureEnd(stream_, &graph), ACL_SUCCESS);
  const uint64_t calls = npumock_call_count("aclmdlRIExecute");
  auto t0 = Clock::now();
  ASSERT_EQ(aclmdlRIExecute(graph, -1), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 190.0) << "2 x 100 ms, waited for";
  EXPECT_EQ(npumock_call_count("aclmdlRIExecute"), calls + 1);
  EXPECT_EQ(aclmdlRIExecute(graph, 20), ACL_ERROR_RT_STREAM_SYNC_TIMEOUT);
  EXPECT_EQ(aclmdlRIExecute(graph, 0), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclmdlRIExecute(graph, -2), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclmdlRIExecute(nullptr, -1), ACL_ERROR_INVALID_PARAM);
  int dummy = 0;
  EXPECT_EQ(aclmdlRIExecute(&dummy, -1), ACL_ERROR_RT_INVALID_HANDLE);
  std::thread([graph] {
    EXPECT_EQ(aclmdlRIExecute(graph, -1), ACL_ERROR_RT_CONTEXT_NULL);
    ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
    EXPECT_EQ(aclmdlRIExecute(graph, -1), ACL_ERROR_RT_MODEL_CONTEXT) << "captured on device 0";
  }).join();
  ASSERT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(aclmdlRIDestroy(nullptr), ACL_ERROR_INVALID_PARAM);
}

class TaskGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&capture_), ACL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&update_), ACL_SUCCESS);
    for (const char *name : {"a", "b", "c", "b2", "x"}) {
      aclrtFuncHandle f = nullptr;
      ASSERT_EQ(npumock_get_function(name, 100, &f), ACL_SUCCESS);
      fn_.push_back(f);
    }
    npumock_set_activity_sink(&on_activity);
  }
  void TearDown() override {
    npumock_set_activity_sink(nullptr);
    take_ran();
    EXPECT_EQ(aclrtDestroyStream(capture_), ACL_SUCCESS);
    EXPECT_EQ(aclrtDestroyStream(update_), ACL_SUCCESS);
  }
  aclError launch(int i, aclrtStream s) { return aclrtLaunchKernel(fn_[size_t(i)], 1, nullptr, 0, s); }
  // Captures a, [b], c with b in a task group.
  void capture(aclmdlRI *graph, aclrtTaskGrp *grp) {
    ASSERT_EQ(aclmdlRICaptureBegin(capture_, 0), ACL_SUCCESS);
    ASSERT_EQ(launch(0, capture_), ACL_SUCCESS);
    ASSERT_EQ(aclmdlRICaptureTaskGrpBegin(capture_), ACL_SUCCESS);
    EXPECT_EQ(aclmdlRICaptureTaskGrpBegin(capture_), ACL_ERROR_STREAM_TASK_GROUP_STATUS) << "twice";
    ASSERT_EQ(launch(1, capture_), ACL_SUCCESS);
    EXPECT_EQ(aclmdlRICaptureTaskGrpEnd(capture_, nullptr), ACL_ERROR_INVALID_PARAM);
    ASSERT_EQ(aclmdlRICaptureTaskGrpEnd(capture_, grp), ACL_SUCCESS);
    ASSERT_NE(*grp, nullptr);
    aclrtTaskGrp none = nullptr;
    EXPECT_EQ(aclmdlRICaptureTaskGrpEnd(capture_, &none), ACL_ERROR_STREAM_TASK_GROUP_STATUS)
        << "no group started";
    EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(capture_, *grp), ACL_ERROR_RT_STREAM_CAPTURED);
    ASSERT_EQ(launch(2, capture_), ACL_SUCCESS);
    ASSERT_EQ(aclmdlRICaptureEnd(capture_, graph), ACL_SUCCESS);
  }
  std::vector<std::string> replay(aclmdlRI graph) {
    EXPECT_EQ(aclmdlRIExecuteAsync(graph, capture_), ACL_SUCCESS);
    EXPECT_EQ(aclrtSynchronizeStream(capture_), ACL_SUCCESS);
    return take_ran();
  }
  aclrtStream capture_ = nullptr, update_ = nullptr;
  std::vector<aclrtFuncHandle> fn_;
};

TEST_F(TaskGroupTest, GroupsNeedACapturingStream) {
  EXPECT_EQ(aclmdlRICaptureTaskGrpBegin(capture_), ACL_ERROR_RT_STREAM_NOT_CAPTURED);
  aclrtTaskGrp grp = nullptr;
  EXPECT_EQ(aclmdlRICaptureTaskGrpEnd(capture_, &grp), ACL_ERROR_RT_STREAM_NOT_CAPTURED);
  EXPECT_EQ(aclmdlRICaptureTaskGrpBegin(nullptr), ACL_ERROR_INVALID_PARAM);
  int dummy = 0;
  EXPECT_EQ(aclmdlRICaptureTaskGrpBegin(&dummy), ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateEnd(update_), ACL_ERROR_STREAM_TASK_GROUP_STATUS) << "no update";
  EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, &dummy), ACL_ERROR_RT_PARAM_INVALID);
}

TEST_F(TaskGroupTest, AnUpdateRewritesTheGroupForLaterReplaysWithoutRunning) {
  aclmdlRI graph = nullptr;
  aclrtTaskGrp grp = nullptr;
  capture(&graph, &grp);
  EXPECT_EQ(replay(graph), (std::vector<std::string>{"a", "b", "c"}));

  ASSERT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, grp), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, grp), ACL_ERROR_STREAM_TASK_GROUP_STATUS);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(capture_, grp), ACL_ERROR_STREAM_TASK_GROUP_STATUS)
      << "another stream is updating the group";
  EXPECT_EQ(aclmdlRIExecuteAsync(graph, update_), ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT);
  EXPECT_EQ(npumock_launch_kernel(update_, nullptr, "cpu", "KERNEL_AICPU"), ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT)
      << "only Cube/Vector tasks update a group";
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_ERROR_STREAM_TASK_GROUP_STATUS);
  ASSERT_EQ(launch(3, update_), ACL_SUCCESS);
  EXPECT_EQ(launch(4, update_), ACL_ERROR_RT_INTERNAL_ERROR) << "one task more than the group has";
  ASSERT_EQ(aclrtSynchronizeStream(update_), ACL_SUCCESS);
  EXPECT_TRUE(take_ran().empty()) << "launches inside an update do not run";
  ASSERT_EQ(aclmdlRICaptureTaskUpdateEnd(update_), ACL_SUCCESS);
  EXPECT_EQ(replay(graph), (std::vector<std::string>{"a", "b2", "c"}));
  EXPECT_EQ(replay(graph), (std::vector<std::string>{"a", "b2", "c"})) << "the update stays";

  ASSERT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, grp), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateEnd(update_), ACL_ERROR_RT_INTERNAL_ERROR) << "no task rewritten";
  ASSERT_EQ(launch(1, update_), ACL_SUCCESS) << "the stream runs kernels again";
  ASSERT_EQ(aclrtSynchronizeStream(update_), ACL_SUCCESS);
  EXPECT_EQ(take_ran(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRICaptureTaskUpdateBegin(update_, grp), ACL_ERROR_RT_PARAM_INVALID) << "gone with it";
}

TEST_F(TaskGroupTest, AiCpuKernelsCannotJoinAGroup) {
  ASSERT_EQ(aclmdlRICaptureBegin(capture_, 0), ACL_SUCCESS);
  EXPECT_EQ(npumock_launch_kernel(capture_, nullptr, "cpu", "KERNEL_AICPU"), ACL_SUCCESS)
      << "captured outside a group";
  ASSERT_EQ(aclmdlRICaptureTaskGrpBegin(capture_), ACL_SUCCESS);
  EXPECT_EQ(npumock_launch_kernel(capture_, nullptr, "cpu", "KERNEL_AICPU"), ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT);
  aclrtTaskGrp grp = nullptr;
  ASSERT_EQ(aclmdlRICaptureTaskGrpEnd(capture_, &grp), ACL_SUCCESS);
  aclmdlRI graph = nullptr;
  ASSERT_EQ(aclmdlRICaptureEnd(capture_, &graph), ACL_SUCCESS);
  EXPECT_EQ(replay(graph), (std::vector<std::string>{"cpu"}));
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_DEVICES", "4", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
