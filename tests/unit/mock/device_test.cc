// The simulated device: ordering, real waiting, graphs, models, wrong uses and fault injection.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "npu/aclnn_api.h"
#include "npu/npumock.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&stream_), ACL_SUCCESS);
    ASSERT_EQ(npumock_get_function("k2ms", 2000, &k2ms_), ACL_SUCCESS);
  }
  void TearDown() override { EXPECT_EQ(aclrtDestroyStream(stream_), ACL_SUCCESS); }
  aclrtStream stream_ = nullptr;
  aclrtFuncHandle k2ms_ = nullptr;
};

TEST_F(DeviceTest, LaunchReturnsBeforeKernelRunsAndSyncReallyWaits) {
  aclrtFuncHandle k20ms = nullptr;
  ASSERT_EQ(npumock_get_function("k20ms", 20000, &k20ms), ACL_SUCCESS);
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(aclrtLaunchKernel(k20ms, 1, nullptr, 0, stream_), ACL_SUCCESS);
  EXPECT_LT(ms_since(t0), 50.0) << "launches must not wait for the device";
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 100.0) << "5 kernels x 20 ms of device time";
}

TEST_F(DeviceTest, EventsCompleteInStreamOrderWithDeviceTimestamps) {
  aclrtEvent a, b;
  ASSERT_EQ(aclrtCreateEvent(&a), ACL_SUCCESS);
  ASSERT_EQ(aclrtCreateEvent(&b), ACL_SUCCESS);
  ASSERT_EQ(aclrtRecordEvent(a, stream_), ACL_SUCCESS);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(aclrtLaunchKernel(k2ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  ASSERT_EQ(aclrtRecordEvent(b, stream_), ACL_SUCCESS);
  float ms = 0;
  EXPECT_EQ(aclrtEventElapsedTime(&ms, a, b), ACL_ERROR_RT_PARAM_INVALID) << "b not complete yet";
  const auto t0 = Clock::now();
  ASSERT_EQ(aclrtSynchronizeEvent(b), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 4.0);
  ASSERT_EQ(aclrtEventElapsedTime(&ms, a, b), ACL_SUCCESS);
  // 3 x 2 ms of kernels, plus the host's enqueue gap before the first one started.
  EXPECT_GE(ms, 6.0);
  EXPECT_LT(ms, 6.0 + 50.0);
  EXPECT_EQ(aclrtDestroyEvent(a), ACL_SUCCESS);
  EXPECT_EQ(aclrtDestroyEvent(b), ACL_SUCCESS);
}

TEST_F(DeviceTest, CapturedGraphReplaysItsKernelsAsOneLaunch) {
  ASSERT_EQ(aclmdlRICaptureBegin(stream_, 0), ACL_SUCCESS);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(aclrtLaunchKernel(k2ms_, 1, nullptr, 0, stream_), ACL_SUCCESS);
  EXPECT_EQ(aclrtSynchronizeStream(stream_), ACL_ERROR_RT_STREAM_CAPTURED);
  EXPECT_EQ(ACL_ERROR_RT_STREAM_CAPTURED, 107027);
  EXPECT_EQ(aclrtSynchronizeStreamWithTimeout(stream_, 100), ACL_ERROR_RT_STREAM_CAPTURED);
  aclmdlRI graph = nullptr;
  ASSERT_EQ(aclmdlRICaptureEnd(stream_, &graph), ACL_SUCCESS);
  const uint64_t replays = npumock_call_count("aclmdlRIExecuteAsync");
  const auto t0 = Clock::now();
  ASSERT_EQ(aclmdlRIExecuteAsync(graph, stream_), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 8.0) << "captured kernels did not run at capture, they run per replay";
  EXPECT_EQ(npumock_call_count("aclmdlRIExecuteAsync"), replays + 1);
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
  EXPECT_EQ(aclmdlRIExecuteAsync(graph, stream_), ACL_ERROR_RT_INVALID_HANDLE) << "destroyed";
}

TEST_F(DeviceTest, SynchronousModelExecuteBlocksForItsKernels) {
  const char om[] = "kernels=3;kernel_us=2000;name=decoder";
  uint32_t id = 0;
  ASSERT_EQ(aclmdlLoadFromMem(om, sizeof om - 1, &id), ACL_SUCCESS);
  const auto t0 = Clock::now();
  ASSERT_EQ(aclmdlExecute(id, nullptr, nullptr), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 6.0);
  EXPECT_EQ(aclmdlExecute(id + 100, nullptr, nullptr), ACL_ERROR_INVALID_MODEL_ID);
}

TEST_F(DeviceTest, AclnnLaunchGoesThroughLaunchKernelWithHostArgs) {
  const int64_t dims[1] = {4};
  aclTensor *t = aclCreateTensor(dims, 1, 0, nullptr, 0, 2, dims, 1, nullptr);
  const uint64_t nested = npumock_call_count("aclrtLaunchKernelWithHostArgs");
  uint64_t ws = 1;
  aclOpExecutor *exec = nullptr;
  ASSERT_EQ(aclnnAddGetWorkspaceSize(t, t, t, t, &ws, &exec), ACLNN_SUCCESS);
  ASSERT_EQ(aclnnAdd(nullptr, ws, exec, stream_), ACLNN_SUCCESS);
  EXPECT_EQ(npumock_call_count("aclrtLaunchKernelWithHostArgs"), nested + 1);
  EXPECT_EQ(aclnnAdd(nullptr, ws, exec, stream_), ACLNN_ERR_PARAM_INVALID) << "executors are single-use";
  EXPECT_EQ(aclnnAddGetWorkspaceSize(nullptr, t, t, t, &ws, &exec), ACLNN_ERR_PARAM_NULLPTR);
  EXPECT_EQ(aclDestroyTensor(t), ACLNN_SUCCESS);
}

TEST_F(DeviceTest, WrongUsesReturnRuntimeErrorsInsteadOfCrashing) {
  int dummy = 0;
  // Unknown handles fail the runtime's handle validation (RT_VALIDATE_AND_UNWRAP_OBJECT).
  EXPECT_EQ(aclrtSynchronizeStream(reinterpret_cast<aclrtStream>(&dummy)), ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(aclrtLaunchKernel(reinterpret_cast<aclrtFuncHandle>(&dummy), 1, nullptr, 0, stream_),
            ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(aclrtSynchronizeEvent(reinterpret_cast<aclrtEvent>(&dummy)), ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(aclrtSynchronizeEvent(nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtDestroyStream(nullptr), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtSetDevice(4), ACL_ERROR_RT_INVALID_DEVICEID) << "NPU_MOCK_DEVICES=4";
  std::thread([this] {
    int32_t dev = -1;
    EXPECT_EQ(aclrtGetDevice(&dev), ACL_ERROR_RT_CONTEXT_NULL);
    EXPECT_EQ(aclrtLaunchKernel(k2ms_, 1, nullptr, 0, nullptr), ACL_ERROR_RT_CONTEXT_NULL);
    ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
    EXPECT_EQ(aclrtLaunchKernel(k2ms_, 1, nullptr, 0, stream_), ACL_ERROR_RT_STREAM_CONTEXT)
        << "stream of device 0 used on device 1";
    EXPECT_EQ(aclrtGetDevice(&dev), ACL_SUCCESS);
    EXPECT_EQ(dev, 1);
  }).join();
}

TEST(FaultInjection, FailsTheNthCallWithTheGivenCode) {
  uint32_t n = 0;
  EXPECT_EQ(aclrtGetDeviceCount(&n), ACL_SUCCESS);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(aclrtGetDeviceCount(&n), ACL_SUCCESS);
  EXPECT_EQ(aclrtGetDeviceCount(&n), 500001) << "NPU_MOCK_FAIL=aclrtGetDeviceCount:3:500001";
  EXPECT_EQ(aclrtGetDeviceCount(&n), ACL_SUCCESS);
  EXPECT_EQ(npumock_call_count("aclrtGetDeviceCount"), 4u);
}

TEST(FaultInjection, FailsEveryCallFromTheNth) {
  ASSERT_EQ(aclrtSetDevice(2), ACL_SUCCESS);
  const char om[] = "kernels=1";
  uint32_t a = 0, b = 0;
  ASSERT_EQ(aclmdlLoadFromMem(om, sizeof om - 1, &a), ACL_SUCCESS);
  ASSERT_EQ(aclmdlLoadFromMem(om, sizeof om - 1, &b), ACL_SUCCESS);
  EXPECT_EQ(aclmdlUnload(a), ACL_SUCCESS);
  EXPECT_EQ(aclmdlUnload(b), ACL_ERROR_INVALID_MODEL_ID) << "2+ rule";
  EXPECT_EQ(aclmdlUnload(b), ACL_ERROR_INVALID_MODEL_ID);
}

TEST(FaultInjection, HangMakesTheCallBlock) {
  ASSERT_EQ(aclrtSetDevice(3), ACL_SUCCESS);
  const auto t0 = Clock::now();
  EXPECT_EQ(aclrtSynchronizeDeviceWithTimeout(1000), ACL_SUCCESS);
  EXPECT_GE(ms_since(t0), 120.0) << "NPU_MOCK_HANG=aclrtSynchronizeDeviceWithTimeout:1:120";
}

// The runtime's refusals of the aclprof API (RT prof_acl_api.cpp aclprofInit, prof_acl_mgr.cpp
// ProfInitPrecheck / ProfStartPrecheck; docs/mock-sources.md, "aclprof"). ctest runs each test in
// a process of its own, so the environment is set before the mock's first look.
TEST(Prof, MsprofsCommandLineRefusesTheApi) {
  setenv("PROFILER_SAMPLECONFIG", "{\"result_dir\":\"/tmp\"}", 1);
  char dir[] = "/tmp/npumock-prof-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  EXPECT_EQ(aclprofInit(dir, strlen(dir)), ACL_ERROR_PROF_ALREADY_RUN);
  EXPECT_EQ(aclprofStart(nullptr), ACL_ERROR_PROF_ALREADY_RUN);
}

TEST(Prof, DynamicProfilingRefusesInit) {
  char dir[] = "/tmp/npumock-prof-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  setenv("PROFILING_MODE", "dynamic", 1);
  EXPECT_EQ(aclprofInit(dir, strlen(dir)), ACL_ERROR_FEATURE_UNSUPPORTED);
  EXPECT_EQ(aclprofInit(nullptr, 0), ACL_ERROR_FEATURE_UNSUPPORTED) << "checked first";
  setenv("PROFILING_MODE", "true", 1);  // msprof's other values: the API works
  EXPECT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS);
  EXPECT_EQ(aclprofFinalize(), ACL_SUCCESS);
}

TEST(Prof, ASecondInitIsRefused) {
  char dir[] = "/tmp/npumock-prof-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS);  // torch_npu's profiler, say
  EXPECT_EQ(aclprofInit(dir, strlen(dir)), ACL_ERROR_REPEAT_INITIALIZE);
  EXPECT_EQ(aclprofFinalize(), ACL_SUCCESS);
  EXPECT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS) << "after its finalize, again";
  EXPECT_EQ(aclprofFinalize(), ACL_SUCCESS);
}

TEST(Prof, LifecycleIsValidatedAndLogged) {
  char dir[] = "/tmp/npumock-prof-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  uint32_t devices[1] = {0};
  EXPECT_EQ(aclprofStart(nullptr), ACL_ERROR_PROF_NOT_RUN) << "ProfStartPrecheck: mode off";
  ASSERT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS);
  aclprofConfig *cfg = aclprofCreateConfig(devices, 1, ACL_AICORE_PIPE_UTILIZATION, nullptr,
                                           ACL_PROF_MSPROFTX | ACL_PROF_TASK_TIME_L0);
  ASSERT_NE(cfg, nullptr);
  ASSERT_EQ(aclprofStart(cfg), ACL_SUCCESS);
  EXPECT_EQ(aclprofFinalize(), ACL_ERROR_PROF_ALREADY_RUN);
  ASSERT_EQ(aclprofStop(cfg), ACL_SUCCESS);
  ASSERT_EQ(aclprofDestroyConfig(cfg), ACL_SUCCESS);
  ASSERT_EQ(aclprofFinalize(), ACL_SUCCESS);
  const std::string log = std::string(dir) + "/npumock_aclprof_" + std::to_string(getpid()) + ".log";
  FILE *f = fopen(log.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[2048] = {};
  fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  EXPECT_STREQ(buf,
               (std::string("aclprofInit dir=") + dir +
                "\naclprofCreateConfig devices=0 aicore_metrics=1 data_types=0x880\n"
                "aclprofStart devices=0\naclprofStop devices=0\naclprofDestroyConfig devices=0\n"
                "aclprofFinalize\n").c_str());
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_DEVICES", "4", 1);
  setenv("NPU_MOCK_FAIL", "aclrtGetDeviceCount:3:500001,aclmdlUnload:2+:100011", 1);
  setenv("NPU_MOCK_HANG", "aclrtSynchronizeDeviceWithTimeout:1:120", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
