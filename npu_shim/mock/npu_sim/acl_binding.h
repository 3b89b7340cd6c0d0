// How npu-sim reaches the fake CANN: the ways real code binds its calls (docs/ascend-stack.md,
// "How real code binds names").
//   linked: every call is a direct (PLT) call, as libtorch_npu does for its linked names.
//   dlsym:  the allocator, sync, stream, event-creation and graph names come from
//           dlopen("libascendcl.so") + dlsym(handle, name), as older torch_npu branches do;
//           the names torch_npu always links stay linked.
//   opapi:  runtime linked; every aclnn first and second stage comes from
//           dlopen("libopapi.so") + dlsym(handle, name), cached, as op-plugin does.
//   opapi-per-op: like opapi, but every aclnn stage is looked up with dlsym(handle, name) right
//           before each call and never cached, as op-plugin 26.0.0's GetApiFunc does
//           (AclBinding::aclnn_fn).
// The rt* launches (libruntime.so) and the context and copy calls are linked in every binding.
#pragma once

#include "npu/aclnn_api.h"
#include "npu/rt_api.h"
#include "npu_sim/options.h"

namespace npusim {

using WorkspaceFn2 = aclnnStatus (*)(const aclTensor *, aclTensor *, uint64_t *, aclOpExecutor **);

struct AclBinding {
  // always linked in torch_npu
  decltype(&aclrtSetDevice) setDevice;
  decltype(&aclrtResetDevice) resetDevice;
  decltype(&aclrtRecordEvent) recordEvent;
  decltype(&aclrtSynchronizeEvent) synchronizeEvent;
  decltype(&aclrtDestroyEvent) destroyEvent;
  decltype(&aclrtFree) free;
  decltype(&aclrtMallocHost) mallocHost;
  decltype(&aclrtFreeHost) freeHost;
  decltype(&aclrtMemcpy) memcpy;
  decltype(&aclrtMemcpyAsync) memcpyAsync;
  decltype(&aclopExecuteV2) opExecuteV2;
  decltype(&aclrtLaunchKernel) launchKernel;
  decltype(&aclrtCreateContext) createContext;
  decltype(&aclrtDestroyContext) destroyContext;
  decltype(&aclrtSetCurrentContext) setCurrentContext;
  decltype(&aclrtGetCurrentContext) getCurrentContext;
  decltype(&aclrtMemcpyAsyncWithCondition) memcpyAsyncWithCondition;
  decltype(&aclrtMemcpyBatch) memcpyBatch;
  decltype(&aclrtMemcpyBatchAsync) memcpyBatchAsync;
  decltype(&rtKernelLaunchWithFlagV2) rtKernelLaunch;
  decltype(&rtAicpuKernelLaunchExWithArgs) rtAicpuKernelLaunch;
  // dlsym'ed by older torch_npu
  decltype(&aclrtCreateStreamWithConfig) createStreamWithConfig;
  decltype(&aclrtDestroyStream) destroyStream;
  decltype(&aclrtCreateEventWithFlag) createEventWithFlag;
  decltype(&aclrtSynchronizeStream) synchronizeStream;
  decltype(&aclrtSynchronizeDevice) synchronizeDevice;
  decltype(&aclrtMallocAlign32) mallocAlign32;
  decltype(&aclrtReserveMemAddress) reserveMemAddress;
  decltype(&aclrtReleaseMemAddress) releaseMemAddress;
  decltype(&aclrtMallocPhysical) mallocPhysical;
  decltype(&aclrtFreePhysical) freePhysical;
  decltype(&aclrtMapMem) mapMem;
  decltype(&aclrtUnmapMem) unmapMem;
  decltype(&aclmdlRICaptureBegin) captureBegin;
  decltype(&aclmdlRICaptureEnd) captureEnd;
  decltype(&aclmdlRIExecuteAsync) riExecuteAsync;
  decltype(&aclmdlRIDestroy) riDestroy;
  decltype(&aclrtMallocWithCfg) mallocWithCfg;
  decltype(&aclrtMallocHostWithCfg) mallocHostWithCfg;
  decltype(&aclrtSynchronizeStreamWithTimeout) synchronizeStreamWithTimeout;
  decltype(&aclrtSynchronizeEventWithTimeout) synchronizeEventWithTimeout;
  decltype(&aclmdlRIExecute) riExecute;
  decltype(&aclmdlRICaptureTaskGrpBegin) captureTaskGrpBegin;
  decltype(&aclmdlRICaptureTaskGrpEnd) captureTaskGrpEnd;
  decltype(&aclmdlRICaptureTaskUpdateBegin) captureTaskUpdateBegin;
  decltype(&aclmdlRICaptureTaskUpdateEnd) captureTaskUpdateEnd;
  // aclnn (op-plugin)
  decltype(&aclCreateTensor) createTensor;
  decltype(&aclDestroyTensor) destroyTensor;
  decltype(&aclnnAddGetWorkspaceSize) addGetWorkspaceSize;
  decltype(&aclnnAdd) add;
  decltype(&aclnnMatmulGetWorkspaceSize) matmulGetWorkspaceSize;
  decltype(&aclnnMatmul) matmul;
  decltype(&aclnnSiluGetWorkspaceSize) siluGetWorkspaceSize;
  decltype(&aclnnSilu) silu;
  decltype(&aclnnNpuFormatCastCalculateSizeAndFormat) formatCastCalculate;
  decltype(&aclnnReselectStaticKernel) reselectStaticKernel;

  // opapi-per-op: libopapi's handle; every aclnn function comes from dlsym(opapi, name) at
  // each call. Otherwise null.
  void *opapi = nullptr;
  bool per_op() const { return opapi != nullptr; }
  // The aclnn function `name`: dlsym(opapi, name) now (opapi-per-op; *looked_up is set, null
  // when missing), else `cached`.
  template <typename Fn>
  Fn aclnn_fn(const char *name, Fn cached, bool *looked_up) const {
    *looked_up = per_op();
    return per_op() ? reinterpret_cast<Fn>(lookup_opapi(name)) : cached;
  }
  void *lookup_opapi(const char *name) const;
};

// Fills the table; returns false (after printing why) when a library or symbol is missing.
bool make_binding(Binding kind, AclBinding *out);

// The application loads MSPTI itself, as a profiler plugin would: dlopen("libmspti.so",
// RTLD_NOW | RTLD_LOCAL), never closed. Says on stderr whether it loaded.
void dlopen_mspti();

}  // namespace npusim
