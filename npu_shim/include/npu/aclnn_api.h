// The aclnn two-stage operator API (libopapi.so). Every op has a first stage
// `aclnnXxxGetWorkspaceSize(<op args>..., uint64_t *workspaceSize, aclOpExecutor **executor)`
// that only plans on the caller's thread, and a uniform second stage `aclnnXxx(workspace,
// workspaceSize, executor, stream)` that launches. op-plugin binds both with
// dlopen(libopapi.so) + dlsym(handle, name).
#ifndef NPU_ACLNN_API_H
#define NPU_ACLNN_API_H

#include "npu/acl_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aclTensor aclTensor;

enum {
  ACLNN_SUCCESS = 0,
  ACLNN_ERR_PARAM_NULLPTR = 161001,
  ACLNN_ERR_PARAM_INVALID = 161002,
  ACLNN_ERR_RUNTIME_ERROR = 361001,
  ACLNN_ERR_INNER = 561000,
};

// Tensor descriptors (libnnopbase on a real host; the mock's libopapi.so carries them).
// dataType and format are the aclDataType / aclFormat enumerations (int-sized).
aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, int dataType,
                           const int64_t *stride, int64_t offset, int format,
                           const int64_t *storageDims, uint64_t storageDimsNum, void *tensorData);
aclnnStatus aclDestroyTensor(const aclTensor *tensor);
typedef aclnnStatus (*aclnnLaunchFn)(void *workspace, uint64_t workspaceSize,
                                     aclOpExecutor *executor, aclrtStream stream);

// The ops the mock's libopapi.so provides (a handful with real names and shapes of argument lists).
aclnnStatus aclnnMatmulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                        int8_t cubeMathType, uint64_t *workspaceSize,
                                        aclOpExecutor **executor);
aclnnStatus aclnnMatmul(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                        aclrtStream stream);
aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other,
                                     const void *alpha, aclTensor *out, uint64_t *workspaceSize,
                                     aclOpExecutor **executor);
aclnnStatus aclnnAdd(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                     aclrtStream stream);
aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon,
                                         aclTensor *yOut, aclTensor *rstdOut,
                                         uint64_t *workspaceSize, aclOpExecutor **executor);
aclnnStatus aclnnRmsNorm(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                         aclrtStream stream);
aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out,
                                         uint64_t *workspaceSize, aclOpExecutor **executor);
aclnnStatus aclnnSoftmax(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                         aclrtStream stream);
aclnnStatus aclnnSiluGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                      aclOpExecutor **executor);
aclnnStatus aclnnSilu(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                      aclrtStream stream);
aclnnStatus aclnnFlashAttentionScoreGetWorkspaceSize(const aclTensor *query, const aclTensor *key,
                                                     const aclTensor *value, double scaleValue,
                                                     int64_t headNum, aclTensor *attentionOut,
                                                     uint64_t *workspaceSize,
                                                     aclOpExecutor **executor);
aclnnStatus aclnnFlashAttentionScore(void *workspace, uint64_t workspaceSize,
                                     aclOpExecutor *executor, aclrtStream stream);
// An AI-CPU operator: its second stage launches through rtAicpuKernelLaunchExWithArgs.
aclnnStatus aclnnNonzeroGetWorkspaceSize(const aclTensor *self, aclTensor *out,
                                         uint64_t *workspaceSize, aclOpExecutor **executor);
aclnnStatus aclnnNonzero(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                         aclrtStream stream);

// aclnn exports of other shapes that torch_npu resolves by name in libopapi (no
// ...GetWorkspaceSize twin). dstShape gets an array allocated with new[] (the caller frees it).
aclnnStatus aclnnNpuFormatCastCalculateSizeAndFormat(const aclTensor *srcTensor, const int dstFormat,
                                                     int additionalDtype, int64_t **dstShape,
                                                     uint64_t *dstShapeSize, int *actualFormat);
aclnnStatus aclnnReselectStaticKernel(void);
aclnnStatus aclnnReselectStaticKernelWithPath(const char *path);

#ifdef __cplusplus
}
#endif

#endif  // NPU_ACLNN_API_H
