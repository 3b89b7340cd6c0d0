// The fake libopapi.so: a handful of aclnn operators with real names and argument lists.
//
// Like the real libopapi/libnnopbase, the first stage plans on the caller's thread and returns
// a single-use executor; the second stage launches through aclrtLaunchKernelWithHostArgs in
// libascendcl with an ordinary cross-library call (so an interposer sees a nested launch).
#include <mutex>
#include <unordered_set>
#include <vector>

#include "npu/aclnn_api.h"
#include "npu/npumock.h"

struct aclTensor {
  std::vector<int64_t> dims;
  int data_type;
  void *data;
};

struct aclOpExecutor {
  aclrtFuncHandle kernel;
  uint32_t blocks;
};

namespace {

std::mutex g_mu;
std::unordered_set<const void *> &live() {
  static auto *s = new std::unordered_set<const void *>;
  return *s;
}
bool take_executor(aclOpExecutor *e) {
  std::lock_guard<std::mutex> lock(g_mu);
  return live().erase(e) != 0;
}

// One kernel handle per op, created on first use.
struct OpKernel {
  explicit OpKernel(const char *kernel_name) : name(kernel_name) {}
  const char *name;
  aclrtFuncHandle handle = nullptr;
  std::once_flag once;
};

aclnnStatus plan(int api_id, OpKernel &op, uint64_t *workspaceSize, aclOpExecutor **executor,
                 std::initializer_list<const void *> required) {
  if (int injected = npumock_api_enter(api_id)) return injected;
  if (workspaceSize == nullptr || executor == nullptr) return ACLNN_ERR_PARAM_NULLPTR;
  for (const void *p : required) {
    if (p == nullptr) return ACLNN_ERR_PARAM_NULLPTR;
  }
  std::call_once(op.once, [&op] { npumock_get_function(op.name, 0, &op.handle); });
  auto *e = new aclOpExecutor{op.handle, 8};
  {
    std::lock_guard<std::mutex> lock(g_mu);
    live().insert(e);
  }
  *workspaceSize = 0;
  *executor = e;
  return ACLNN_SUCCESS;
}

aclnnStatus launch(int api_id, void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                   aclrtStream stream) {
  if (int injected = npumock_api_enter(api_id)) return injected;
  if (workspaceSize > 0 && workspace == nullptr) return ACLNN_ERR_PARAM_NULLPTR;
  if (executor == nullptr) return ACLNN_ERR_PARAM_NULLPTR;
  if (!take_executor(executor)) return ACLNN_ERR_PARAM_INVALID;  // reused or foreign executor
  uint64_t host_args[4] = {reinterpret_cast<uint64_t>(workspace), workspaceSize, 0, 0};
  const aclError rc = aclrtLaunchKernelWithHostArgs(executor->kernel, executor->blocks, stream,
                                                    nullptr, host_args, sizeof host_args,
                                                    nullptr, 0);
  delete executor;
  return rc == ACL_SUCCESS ? ACLNN_SUCCESS : rc;
}

// Ids of first stages, keyed by their function name (counted and fault-injectable like any call).
int first_stage_id(const char *fn) { return npumock_api_id(fn); }

OpKernel g_matmul{"MatMulV2"}, g_add{"Add"}, g_rmsnorm{"RmsNorm"}, g_softmax{"SoftmaxV2"},
    g_silu{"Swish"}, g_fa{"FlashAttentionScore"};

}  // namespace

#define NPUMOCK_ACLNN_LAUNCH(op)                                                        \
  aclnnStatus op(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,     \
                 aclrtStream stream) {                                                 \
    static const int id = npumock_api_id(#op);                                         \
    return launch(id, workspace, workspaceSize, executor, stream);                     \
  }

extern "C" {

aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, int dataType,
                           const int64_t *stride, int64_t offset, int format,
                           const int64_t *storageDims, uint64_t storageDimsNum,
                           void *tensorData) {
  (void)stride, (void)offset, (void)format, (void)storageDims, (void)storageDimsNum;
  if (viewDimsNum > 0 && viewDims == nullptr) return nullptr;
  auto *t = new aclTensor{std::vector<int64_t>(viewDims, viewDims + viewDimsNum), dataType,
                          tensorData};
  std::lock_guard<std::mutex> lock(g_mu);
  live().insert(t);
  return t;
}

aclnnStatus aclDestroyTensor(const aclTensor *tensor) {
  if (tensor == nullptr) return ACLNN_SUCCESS;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (live().erase(tensor) == 0) return ACLNN_ERR_PARAM_INVALID;
  }
  delete tensor;
  return ACLNN_SUCCESS;
}

aclnnStatus aclnnMatmulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                        int8_t cubeMathType, uint64_t *workspaceSize,
                                        aclOpExecutor **executor) {
  (void)cubeMathType;
  return plan(first_stage_id(__func__), g_matmul, workspaceSize, executor, {self, mat2, out});
}
NPUMOCK_ACLNN_LAUNCH(aclnnMatmul)

aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other,
                                     const void *alpha, aclTensor *out, uint64_t *workspaceSize,
                                     aclOpExecutor **executor) {
  return plan(first_stage_id(__func__), g_add, workspaceSize, executor, {self, other, alpha, out});
}
NPUMOCK_ACLNN_LAUNCH(aclnnAdd)

aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon,
                                         aclTensor *yOut, aclTensor *rstdOut,
                                         uint64_t *workspaceSize, aclOpExecutor **executor) {
  if (!(epsilon > 0)) return ACLNN_ERR_PARAM_INVALID;
  return plan(first_stage_id(__func__), g_rmsnorm, workspaceSize, executor, {x, gamma, yOut, rstdOut});
}
NPUMOCK_ACLNN_LAUNCH(aclnnRmsNorm)

aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out,
                                         uint64_t *workspaceSize, aclOpExecutor **executor) {
  (void)dim;
  return plan(first_stage_id(__func__), g_softmax, workspaceSize, executor, {self, out});
}
NPUMOCK_ACLNN_LAUNCH(aclnnSoftmax)

aclnnStatus aclnnSiluGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                      aclOpExecutor **executor) {
  return plan(first_stage_id(__func__), g_silu, workspaceSize, executor, {self, out});
}
NPUMOCK_ACLNN_LAUNCH(aclnnSilu)

aclnnStatus aclnnFlashAttentionScoreGetWorkspaceSize(const aclTensor *query, const aclTensor *key,
                                                     const aclTensor *value, double scaleValue,
                                                     int64_t headNum, aclTensor *attentionOut,
                                                     uint64_t *workspaceSize,
                                                     aclOpExecutor **executor) {
  (void)scaleValue;
  if (headNum <= 0) return ACLNN_ERR_PARAM_INVALID;
  return plan(first_stage_id(__func__), g_fa, workspaceSize, executor, {query, key, value, attentionOut});
}
NPUMOCK_ACLNN_LAUNCH(aclnnFlashAttentionScore)

}  // extern "C"
