// The fake libopapi.so beyond the two-stage operators: the aclnn exports of other shapes that
// torch_npu resolves by name, and an AI-CPU operator whose second stage launches through
// libruntime's rtAicpuKernelLaunchExWithArgs.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "npu/aclnn_api.h"
#include "npu/npumock.h"

namespace {

struct Cast {
  aclnnStatus rc = -1;
  std::vector<int64_t> shape;
  int format = -100;
};

Cast cast(std::vector<int64_t> dims, int dtype, int format, int dst, int additional = -1) {
  aclTensor *t = aclCreateTensor(dims.data(), dims.size(), dtype, nullptr, 0, format, dims.data(),
                                 dims.size(), nullptr);
  Cast c;
  int64_t *shape = nullptr;
  uint64_t n = 0;
  c.rc = aclnnNpuFormatCastCalculateSizeAndFormat(t, dst, additional, &shape, &n, &c.format);
  if (shape != nullptr) c.shape.assign(shape, shape + n);
  delete[] shape;
  aclDestroyTensor(t);
  return c;
}

constexpr int kFloat = 0, kFloat16 = 1, kInt64 = 9;
constexpr int kND = 2, kNZ = 29, kNCDHW = 30, kNDC1HWC0 = 32, kFZ3D = 33, kNCHW = 0;

TEST(FormatCast, NdToNzShapesFollowC0Of32Bytes) {
  Cast c = cast({16, 16}, kFloat, kND, kNZ);
  EXPECT_EQ(c.rc, ACLNN_SUCCESS);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{2, 1, 16, 8})) << "C0 = 32 B / 4 B";
  EXPECT_EQ(c.format, kNZ);
  c = cast({3, 40, 33}, kFloat16, 47 /* NCL */, kNZ);
  EXPECT_EQ(c.rc, ACLNN_SUCCESS);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{3, 3, 3, 16, 16}));
  c = cast({5, 7}, kFloat16, kNZ, kND);
  EXPECT_EQ(c.rc, ACLNN_SUCCESS);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(c.format, kND);
}

TEST(FormatCast, ThreeDimensionalFormats) {
  Cast c = cast({2, 20, 3, 4, 5}, kFloat16, kNCDHW, kNDC1HWC0);
  EXPECT_EQ(c.rc, ACLNN_SUCCESS);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{2, 3, 2, 4, 5, 16}));
  EXPECT_EQ(c.format, kNDC1HWC0);
  c = cast({2, 20, 3, 4, 5}, kFloat16, kNCDHW, kFZ3D);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{120, 1, 16, 16}));
  EXPECT_EQ(c.format, kFZ3D);
  c = cast({2, 20, 3, 4, 5}, kFloat16, kFZ3D, kNCDHW);
  EXPECT_EQ(c.shape, (std::vector<int64_t>{2, 20, 3, 4, 5}));
  EXPECT_EQ(c.format, kNCDHW);
}

TEST(FormatCast, WrongInputs) {
  EXPECT_EQ(cast({16, 16}, kFloat, kND, kNZ, 1).rc, ACLNN_ERR_PARAM_INVALID)
      << "additionalDtype is for Ascend950 only";
  EXPECT_EQ(cast({16, 16}, kInt64, kND, kNZ).rc, ACLNN_ERR_PARAM_INVALID) << "not a weight dtype";
  EXPECT_EQ(cast({16}, kFloat, kND, kNZ).rc, ACLNN_ERR_PARAM_INVALID);
  EXPECT_EQ(cast({16, 16}, kFloat, kND, kNCHW).rc, ACLNN_ERR_RUNTIME_ERROR) << "unsupported";
  int64_t *shape = nullptr;
  uint64_t n = 0;
  int format = 0;
  EXPECT_EQ(aclnnNpuFormatCastCalculateSizeAndFormat(nullptr, kNZ, -1, &shape, &n, &format),
            ACLNN_ERR_PARAM_INVALID);
  const int64_t dims[2] = {4, 4};
  aclTensor *t = aclCreateTensor(dims, 2, kFloat, nullptr, 0, kND, dims, 2, nullptr);
  EXPECT_EQ(aclnnNpuFormatCastCalculateSizeAndFormat(t, kNZ, -1, nullptr, &n, &format), ACLNN_ERR_PARAM_NULLPTR);
  EXPECT_EQ(aclnnNpuFormatCastCalculateSizeAndFormat(t, kNZ, -1, &shape, nullptr, &format), ACLNN_ERR_PARAM_NULLPTR);
  EXPECT_EQ(aclnnNpuFormatCastCalculateSizeAndFormat(t, kNZ, -1, &shape, &n, nullptr), ACLNN_ERR_PARAM_NULLPTR);
  EXPECT_EQ(aclDestroyTensor(t), ACLNN_SUCCESS);
}

TEST(FormatCast, CountedAndFaultInjectable) {
  const uint64_t before = npumock_call_count("aclnnNpuFormatCastCalculateSizeAndFormat");
  // NPU_MOCK_FAIL=aclnnNpuFormatCastCalculateSizeAndFormat:100:561000 (main)
  while (npumock_call_count("aclnnNpuFormatCastCalculateSizeAndFormat") < 99) {
    ASSERT_EQ(cast({16, 16}, kFloat, kND, kNZ).rc, ACLNN_SUCCESS);
  }
  EXPECT_EQ(cast({16, 16}, kFloat, kND, kNZ).rc, ACLNN_ERR_INNER);
  EXPECT_EQ(cast({16, 16}, kFloat, kND, kNZ).rc, ACLNN_SUCCESS);
  EXPECT_GT(npumock_call_count("aclnnNpuFormatCastCalculateSizeAndFormat"), before);
  const uint64_t reselects = npumock_call_count("aclnnReselectStaticKernel");
  EXPECT_EQ(aclnnReselectStaticKernel(), ACLNN_SUCCESS);
  EXPECT_EQ(npumock_call_count("aclnnReselectStaticKernel"), reselects + 1);
  EXPECT_EQ(aclnnReselectStaticKernelWithPath("/opt/static_kernel"), ACLNN_SUCCESS);
  EXPECT_EQ(npumock_call_count("aclnnReselectStaticKernelWithPath"), 1u);
}

std::mutex g_mu;
std::vector<std::string> g_ran;
void on_activity(const npumock_activity *a) {
  if (a->kind != 2) return;
  std::lock_guard<std::mutex> lock(g_mu);
  g_ran.push_back(std::string(a->type) + ":" + a->name);
}

TEST(Nonzero, SecondStageLaunchesAnAiCpuKernelThroughLibruntime) {
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  aclrtStream s = nullptr;
  ASSERT_EQ(aclrtCreateStream(&s), ACL_SUCCESS);
  const int64_t dims[1] = {8};
  aclTensor *t = aclCreateTensor(dims, 1, kFloat, nullptr, 0, kND, dims, 1, nullptr);
  const uint64_t rt = npumock_call_count("rtAicpuKernelLaunchExWithArgs");
  const uint64_t acl = npumock_call_count("aclrtLaunchKernelWithHostArgs");
  npumock_set_activity_sink(&on_activity);
  uint64_t ws = 1;
  aclOpExecutor *exec = nullptr;
  ASSERT_EQ(aclnnNonzeroGetWorkspaceSize(t, t, &ws, &exec), ACLNN_SUCCESS);
  EXPECT_EQ(ws, 0u);
  ASSERT_EQ(aclnnNonzero(nullptr, ws, exec, s), ACLNN_SUCCESS);
  EXPECT_EQ(aclnnNonzero(nullptr, ws, exec, s), ACLNN_ERR_PARAM_INVALID) << "single-use executor";
  ASSERT_EQ(aclrtSynchronizeStream(s), ACL_SUCCESS);
  npumock_set_activity_sink(nullptr);
  EXPECT_EQ(npumock_call_count("rtAicpuKernelLaunchExWithArgs"), rt + 1) << "one nested rt* launch";
  EXPECT_EQ(npumock_call_count("aclrtLaunchKernelWithHostArgs"), acl) << "no ACL launch";
  std::lock_guard<std::mutex> lock(g_mu);
  EXPECT_EQ(g_ran, (std::vector<std::string>{"KERNEL_AICPU:NonZero"}));
  EXPECT_EQ(aclnnNonzeroGetWorkspaceSize(nullptr, t, &ws, &exec), ACLNN_ERR_PARAM_NULLPTR);
  EXPECT_EQ(aclDestroyTensor(t), ACLNN_SUCCESS);
  EXPECT_EQ(aclrtDestroyStream(s), ACL_SUCCESS);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_FAIL", "aclnnNpuFormatCastCalculateSizeAndFormat:100:561000", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
