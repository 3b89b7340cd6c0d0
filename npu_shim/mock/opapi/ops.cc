// The fake libopapi.so: a handful of aclnn operators with real names and argument lists.
//
// Like the real libopapi/libnnopbase, the first stage plans on the caller's thread and returns
// a single-use executor; the second stage launches through aclrtLaunchKernelWithHostArgs in
// libascendcl with an ordinary cross-library call (so an interposer sees a nested launch), as
// libnnopbase does: hicann/opbase src/nnopbase/individual_op/executor/indv_executor.cpp:1176
// and :1219, composite_op/aclnn_engine/rts_arg.cpp:319 and :873 call the exported
// aclrtLaunchKernelWithHostArgs of libacl_rt, which libnnopbase links
// (src/nnopbase/CMakeLists.txt:53-66; docs/mock-sources.md, "libopapi.so"). The
// AI-CPU operator (aclnnNonzero) launches through rtAicpuKernelLaunchExWithArgs in libruntime
// instead, as opbase's aicpu_task.cpp does. The aclnn exports of other shapes torch_npu
// resolves by name are at the end (docs/mock-sources.md).
#include <mutex>
#include <new>
#include <unordered_set>
#include <vector>

#include "npu/aclnn_api.h"
#include "npu/npumock.h"
#include "npu/npumock_rt.h"
#include "npu/rt_api.h"

struct aclTensor {
  std::vector<int64_t> dims;  // view shape
  int data_type;              // aclDataType
  int format;                 // aclFormat of the storage
  void *data;
};

struct aclOpExecutor {
  aclrtFuncHandle kernel;
  uint32_t blocks;
  const char *aicpu_op;  // non-null: an AI-CPU kernel launched by name through libruntime
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
  explicit OpKernel(const char *kernel_name, bool aicpu_kernel = false)
      : name(kernel_name), aicpu(aicpu_kernel) {}
  const char *name;
  bool aicpu;
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
  std::call_once(op.once, [&op] {
    if (!op.aicpu) npumock_get_function(op.name, 0, &op.handle);
  });
  auto *e = op.aicpu ? new aclOpExecutor{nullptr, 1, op.name} : new aclOpExecutor{op.handle, 8, nullptr};
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
  aclError rc = ACL_SUCCESS;
  if (executor->aicpu_op != nullptr) {
    // AicpuTask's compatible launch path: the kernel by name, a KERNEL_TYPE_AICPU task.
    rtAicpuArgsEx_t args{};
    args.args = host_args;
    args.argsSize = sizeof host_args;
    rc = rtAicpuKernelLaunchExWithArgs(NPUMOCK_KERNEL_TYPE_AICPU, executor->aicpu_op,
                                       executor->blocks, &args, nullptr, stream, 0);
  } else {
    rc = aclrtLaunchKernelWithHostArgs(executor->kernel, executor->blocks, stream, nullptr,
                                       host_args, sizeof host_args, nullptr, 0);
  }
  delete executor;
  return rc == ACL_SUCCESS ? ACLNN_SUCCESS : rc;
}

// Ids of first stages, keyed by their function name (counted and fault-injectable like any call).
int first_stage_id(const char *fn) { return npumock_api_id(fn); }

OpKernel g_matmul{"MatMulV2"}, g_add{"Add"}, g_rmsnorm{"RmsNorm"}, g_softmax{"SoftmaxV2"},
    g_silu{"Swish"}, g_fa{"FlashAttentionScore"}, g_nonzero{"NonZero", true};

// Formats and data types of ops-math's npu_format_cast (acl_base_rt.h values).
enum : int {
  kFormatND = 2, kFormatNZ = 29, kFormatNCDHW = 30, kFormatNDC1HWC0 = 32, kFormatFZ3D = 33,
  kFormatNCL = 47,
};
// ge::GetSizeByDataType for the weight types the cast accepts (WEIGHT_DTYPE_SUPPORT_LIST);
// 0 = not accepted.
int64_t weight_dtype_size(int dtype) {
  switch (dtype) {
    case 0: return 4;   // FLOAT
    case 1: return 2;   // FLOAT16
    case 2: return 1;   // INT8
    case 3: return 4;   // INT32
    case 4: return 1;   // UINT8
    case 8: return 4;   // UINT32
    case 27: return 2;  // BF16
    case 36: return 1;  // FLOAT8_E4M3FN
    default: return 0;
  }
}
int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

aclnnStatus give_shape(std::vector<int64_t> shape, int format, int64_t **dstShape,
                       uint64_t *dstShapeSize, int *actualFormat) {
  auto *out = new (std::nothrow) int64_t[shape.size()];
  if (out == nullptr) return ACLNN_ERR_RUNTIME_ERROR;
  for (size_t i = 0; i < shape.size(); ++i) out[i] = shape[i];
  *dstShape = out;
  *dstShapeSize = shape.size();
  *actualFormat = format;
  return ACLNN_SUCCESS;
}

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
  (void)stride, (void)offset, (void)storageDims, (void)storageDimsNum;
  if (viewDimsNum > 0 && viewDims == nullptr) return nullptr;
  auto *t = new aclTensor{std::vector<int64_t>(viewDims, viewDims + viewDimsNum), dataType,
                          format, tensorData};
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

aclnnStatus aclnnNonzeroGetWorkspaceSize(const aclTensor *self, aclTensor *out,
                                         uint64_t *workspaceSize, aclOpExecutor **executor) {
  return plan(first_stage_id(__func__), g_nonzero, workspaceSize, executor, {self, out});
}
NPUMOCK_ACLNN_LAUNCH(aclnnNonzero)

// ops-math conversion/npu_format_cast/op_host/op_api/aclnn_npu_format_cast.cpp on an A2/A3-class
// device (the mock's): the shape and format a tensor has after a cast to dstFormat.
aclnnStatus aclnnNpuFormatCastCalculateSizeAndFormat(const aclTensor *srcTensor, const int dstFormat,
                                                     int additionalDtype, int64_t **dstShape,
                                                     uint64_t *dstShapeSize, int *actualFormat) {
  static const int id = npumock_api_id(__func__);
  if (int injected = npumock_api_enter(id)) return injected;
  // The real function writes through these unchecked; the mock refuses instead of crashing.
  if (dstShape == nullptr || dstShapeSize == nullptr || actualFormat == nullptr) {
    return ACLNN_ERR_PARAM_NULLPTR;
  }
  if (srcTensor == nullptr) return ACLNN_ERR_PARAM_INVALID;  // checked inputs fail
  const int64_t dtype_size = weight_dtype_size(srcTensor->data_type);
  if (dtype_size == 0) return ACLNN_ERR_PARAM_INVALID;
  if (additionalDtype != -1) return ACLNN_ERR_PARAM_INVALID;  // only Ascend950 takes one
  const std::vector<int64_t> &v = srcTensor->dims;
  const int src = srcTensor->format;
  const int64_t c0 = 32 / dtype_size;  // C0 * sizeof(dtype) = 32 bytes
  if (dstFormat == kFormatNZ && (src == kFormatND || src == kFormatNCL)) {
    if (v.size() < 2) return ACLNN_ERR_PARAM_INVALID;  // the real one reads dims -2 and -1
    std::vector<int64_t> nz(v.begin(), v.end() - 2);
    nz.push_back(ceil_div(v[v.size() - 1], c0));
    nz.push_back(ceil_div(v[v.size() - 2], 16));
    nz.push_back(16);
    nz.push_back(c0);
    return give_shape(nz, kFormatNZ, dstShape, dstShapeSize, actualFormat);
  }
  if (src == kFormatNZ && dstFormat == kFormatND) {
    return give_shape(v, kFormatND, dstShape, dstShapeSize, actualFormat);
  }
  const bool from_ncdhw = src == kFormatNCDHW && (dstFormat == kFormatNDC1HWC0 || dstFormat == kFormatFZ3D);
  const bool to_ncdhw = (src == kFormatNDC1HWC0 || src == kFormatFZ3D) && dstFormat == kFormatNCDHW;
  if (from_ncdhw || to_ncdhw) {
    if (v.size() < 5) return ACLNN_ERR_PARAM_INVALID;  // the real one reads dims 0..4
    const int64_t n = v[0], c = v[1], d = v[2], h = v[3], w = v[4], c1 = ceil_div(c, c0);
    if (to_ncdhw) return give_shape({n, c, d, h, w}, kFormatNCDHW, dstShape, dstShapeSize, actualFormat);
    if (dstFormat == kFormatNDC1HWC0) {
      return give_shape({n, d, c1, h, w, c0}, kFormatNDC1HWC0, dstShape, dstShapeSize, actualFormat);
    }
    return give_shape({d * c1 * h * w, ceil_div(n, 16), 16, c0}, kFormatFZ3D, dstShape, dstShapeSize,
                      actualFormat);
  }
  return ACLNN_ERR_RUNTIME_ERROR;  // unsupported format transformation
}

// opbase src/nnopbase/common/api/acl_op_api.cpp: reloads the static kernel binaries; OK.
aclnnStatus aclnnReselectStaticKernel(void) {
  static const int id = npumock_api_id(__func__);
  if (int injected = npumock_api_enter(id)) return injected;
  return ACLNN_SUCCESS;
}

// No source found: counted, fault-injectable, otherwise succeeds.
aclnnStatus aclnnReselectStaticKernelWithPath(const char *path) {
  static const int id = npumock_api_id(__func__);
  if (int injected = npumock_api_enter(id)) return injected;
  (void)path;
  return ACLNN_SUCCESS;
}

#include "sim_ops.inc"

}  // extern "C"
