// The fake libruntime.so: rt* launches below ACL run on the same simulated device as libascendcl's
// launches, are counted and fault-injectable, and check their arguments like the real runtime.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "npu/npumock.h"
#include "npu/npumock_rt.h"
#include "npu/rt_api.h"

namespace {

std::mutex g_mu;
std::vector<std::string> g_ran;  // "type:name" of every kernel the device ran
void on_activity(const npumock_activity *a) {
  if (a->kind != 2) return;
  std::lock_guard<std::mutex> lock(g_mu);
  g_ran.push_back(std::string(a->type) + ":" + a->name);
}
std::vector<std::string> take_ran() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::vector<std::string> out;
  out.swap(g_ran);
  return out;
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&stream_), ACL_SUCCESS);
    ASSERT_EQ(npumock_get_function("lcal_allreduce", 50, &stub_), ACL_SUCCESS);
    args_.args = args_data_;
    args_.argsSize = sizeof args_data_;
    cpu_args_.args = args_data_;
    cpu_args_.argsSize = sizeof args_data_;
    npumock_set_activity_sink(&on_activity);
  }
  void TearDown() override {
    npumock_set_activity_sink(nullptr);
    take_ran();
    EXPECT_EQ(aclrtDestroyStream(stream_), ACL_SUCCESS);
  }
  aclrtStream stream_ = nullptr;
  aclrtFuncHandle stub_ = nullptr;
  uint64_t args_data_[4] = {};
  rtArgsEx_t args_{};
  rtAicpuArgsEx_t cpu_args_{};
};

TEST_F(RuntimeTest, LaunchesRunOnTheSimulatedDeviceAndAreCounted) {
  const uint64_t rt = npumock_call_count("rtKernelLaunchWithFlagV2");
  const uint64_t cpu = npumock_call_count("rtAicpuKernelLaunchExWithArgs");
  ASSERT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, stream_, 0, nullptr), RT_ERROR_NONE);
  ASSERT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, "NonZero", 1, &cpu_args_, nullptr,
                                          stream_, 0),
            RT_ERROR_NONE);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_EQ(take_ran(), (std::vector<std::string>{"KERNEL_AICORE:lcal_allreduce", "KERNEL_AICPU:NonZero"}));
  EXPECT_EQ(npumock_call_count("rtKernelLaunchWithFlagV2"), rt + 1);
  EXPECT_EQ(npumock_call_count("rtAicpuKernelLaunchExWithArgs"), cpu + 1);
  // NULL stream: the current context's default stream.
  ASSERT_EQ(rtKernelLaunchWithFlagV2(stub_, 1, &args_, nullptr, nullptr, 0, nullptr), RT_ERROR_NONE);
  ASSERT_EQ(aclrtSynchronizeDevice(), ACL_SUCCESS);
  EXPECT_EQ(take_ran().size(), 1u);
}

TEST_F(RuntimeTest, CapturedLikeAnyOtherKernel) {
  ASSERT_EQ(aclmdlRICaptureBegin(stream_, 0), ACL_SUCCESS);
  ASSERT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, stream_, 0, nullptr), RT_ERROR_NONE);
  ASSERT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_FWK, "Cast", 1, &cpu_args_, nullptr, stream_, 0),
            RT_ERROR_NONE);
  aclmdlRI graph = nullptr;
  ASSERT_EQ(aclmdlRICaptureEnd(stream_, &graph), ACL_SUCCESS);
  EXPECT_TRUE(take_ran().empty());
  ASSERT_EQ(aclmdlRIExecuteAsync(graph, stream_), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_EQ(take_ran(), (std::vector<std::string>{"KERNEL_AICORE:lcal_allreduce", "KERNEL_AICPU:Cast"}));
  EXPECT_EQ(aclmdlRIDestroy(graph), ACL_SUCCESS);
}

TEST_F(RuntimeTest, ArgumentsAreCheckedLikeTheRealRuntime) {
  EXPECT_EQ(rtKernelLaunchWithFlagV2(nullptr, 8, &args_, nullptr, stream_, 0, nullptr), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 0, &args_, nullptr, stream_, 0, nullptr), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 65536, &args_, nullptr, stream_, 0, nullptr),
            ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, nullptr, nullptr, stream_, 0, nullptr), ACL_ERROR_RT_PARAM_INVALID);
  rtArgsEx_t empty{};
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &empty, nullptr, stream_, 0, nullptr), ACL_ERROR_RT_PARAM_INVALID);
  int dummy = 0;
  EXPECT_EQ(rtKernelLaunchWithFlagV2(&dummy, 8, &args_, nullptr, stream_, 0, nullptr), ACL_ERROR_RT_PARAM_INVALID)
      << "not a registered stub";
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, &dummy, 0, nullptr), ACL_ERROR_RT_INVALID_HANDLE);
  EXPECT_EQ(rtAicpuKernelLaunchExWithArgs(3, "NonZero", 1, &cpu_args_, nullptr, stream_, 0), ACL_ERROR_RT_PARAM_INVALID)
      << "kernel type 3 does not exist";
  EXPECT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, nullptr, 1, &cpu_args_, nullptr, stream_, 0),
            ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, "NonZero", 0x10000, &cpu_args_, nullptr,
                                          stream_, 0),
            ACL_ERROR_RT_PARAM_INVALID);
  rtAicpuArgsEx_t no_args{};
  EXPECT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, "NonZero", 1, &no_args, nullptr, stream_, 0),
            ACL_ERROR_RT_PARAM_INVALID);
  std::thread([this] {
    EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, nullptr, 0, nullptr), ACL_ERROR_RT_CONTEXT_NULL);
  }).join();
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_TRUE(take_ran().empty()) << "nothing ran";
}

TEST_F(RuntimeTest, FaultRulesApplyToRtEntryPoints) {
  // NPU_MOCK_FAIL (set in main): both entry points fail from their 300th call on.
  while (npumock_call_count("rtAicpuKernelLaunchExWithArgs") < 299) {
    ASSERT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, "x", 1, &cpu_args_, nullptr, stream_, 0),
              RT_ERROR_NONE);
  }
  while (npumock_call_count("rtKernelLaunchWithFlagV2") < 299) {
    ASSERT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, stream_, 0, nullptr), RT_ERROR_NONE);
  }
  EXPECT_EQ(rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, "x", 1, &cpu_args_, nullptr, stream_, 0),
            507018);
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, stream_, 0, nullptr), 507015);
  EXPECT_EQ(rtKernelLaunchWithFlagV2(stub_, 8, &args_, nullptr, stream_, 0, nullptr), 507015) << "300+";
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_KERNEL_US", "1", 1);
  setenv("NPU_MOCK_FAIL", "rtAicpuKernelLaunchExWithArgs:300+:507018,rtKernelLaunchWithFlagV2:300+:507015", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
