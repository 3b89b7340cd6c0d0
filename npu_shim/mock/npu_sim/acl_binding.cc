#include "npu_sim/acl_binding.h"

#include <dlfcn.h>

#include <cstdio>

namespace npusim {
namespace {

// note: dlsym(handle, name) on purpose: a handle-scoped lookup skips LD_PRELOAD objects, which is
// exactly the real-world binding an interposer must still catch.
template <typename Fn>
bool lookup(void *handle, const char *lib, const char *name, Fn *out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*out == nullptr) fprintf(stderr, "npu-sim: %s has no symbol %s\n", lib, name);
  return *out != nullptr;
}

void *open_library(const char *lib) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
  if (h == nullptr) fprintf(stderr, "npu-sim: dlopen(%s) failed: %s\n", lib, dlerror());
  return h;
}

}  // namespace

#define NPUSIM_LOOKUP(handle, lib, field, name) ok = lookup(handle, lib, #name, &b.field) && ok

void *AclBinding::lookup_opapi(const char *name) const {
  // note: no cache on purpose (op-plugin 26.0.0 GetApiFunc): every call pays the dlsym.
  void *fn = dlsym(opapi, name);
  if (fn == nullptr) fprintf(stderr, "npu-sim: libopapi.so has no symbol %s\n", name);
  return fn;
}

bool make_binding(Binding kind, AclBinding *out) {
  AclBinding b{&aclrtSetDevice, &aclrtResetDevice, &aclrtRecordEvent, &aclrtSynchronizeEvent,
               &aclrtDestroyEvent, &aclrtFree, &aclrtMallocHost, &aclrtFreeHost, &aclrtMemcpy,
               &aclrtMemcpyAsync, &aclopExecuteV2, &aclrtLaunchKernel, &aclrtCreateContext,
               &aclrtDestroyContext, &aclrtSetCurrentContext, &aclrtGetCurrentContext,
               &aclrtMemcpyAsyncWithCondition, &aclrtMemcpyBatch, &aclrtMemcpyBatchAsync,
               &rtKernelLaunchWithFlagV2, &rtAicpuKernelLaunchExWithArgs,
               &aclrtCreateStreamWithConfig, &aclrtDestroyStream, &aclrtCreateEventWithFlag,
               &aclrtSynchronizeStream, &aclrtSynchronizeDevice, &aclrtMallocAlign32,
               &aclrtReserveMemAddress, &aclrtReleaseMemAddress, &aclrtMallocPhysical,
               &aclrtFreePhysical, &aclrtMapMem, &aclrtUnmapMem, &aclmdlRICaptureBegin,
               &aclmdlRICaptureEnd, &aclmdlRIExecuteAsync, &aclmdlRIDestroy, &aclrtMallocWithCfg,
               &aclrtMallocHostWithCfg, &aclrtSynchronizeStreamWithTimeout,
               &aclrtSynchronizeEventWithTimeout, &aclmdlRIExecute, &aclmdlRICaptureTaskGrpBegin,
               &aclmdlRICaptureTaskGrpEnd, &aclmdlRICaptureTaskUpdateBegin,
               &aclmdlRICaptureTaskUpdateEnd, &aclCreateTensor, &aclDestroyTensor,
               &aclnnAddGetWorkspaceSize, &aclnnAdd, &aclnnMatmulGetWorkspaceSize, &aclnnMatmul,
               &aclnnSiluGetWorkspaceSize, &aclnnSilu, &aclnnNpuFormatCastCalculateSizeAndFormat,
               &aclnnReselectStaticKernel, nullptr};
  bool ok = true;
  if (kind == Binding::Dlsym) {
    const char *lib = "libascendcl.so";
    void *h = open_library(lib);
    if (h == nullptr) return false;
    NPUSIM_LOOKUP(h, lib, createStreamWithConfig, aclrtCreateStreamWithConfig);
    NPUSIM_LOOKUP(h, lib, destroyStream, aclrtDestroyStream);
    NPUSIM_LOOKUP(h, lib, createEventWithFlag, aclrtCreateEventWithFlag);
    NPUSIM_LOOKUP(h, lib, synchronizeStream, aclrtSynchronizeStream);
    NPUSIM_LOOKUP(h, lib, synchronizeDevice, aclrtSynchronizeDevice);
    NPUSIM_LOOKUP(h, lib, mallocAlign32, aclrtMallocAlign32);
    NPUSIM_LOOKUP(h, lib, reserveMemAddress, aclrtReserveMemAddress);
    NPUSIM_LOOKUP(h, lib, releaseMemAddress, aclrtReleaseMemAddress);
    NPUSIM_LOOKUP(h, lib, mallocPhysical, aclrtMallocPhysical);
    NPUSIM_LOOKUP(h, lib, freePhysical, aclrtFreePhysical);
    NPUSIM_LOOKUP(h, lib, mapMem, aclrtMapMem);
    NPUSIM_LOOKUP(h, lib, unmapMem, aclrtUnmapMem);
    NPUSIM_LOOKUP(h, lib, captureBegin, aclmdlRICaptureBegin);
    NPUSIM_LOOKUP(h, lib, captureEnd, aclmdlRICaptureEnd);
    NPUSIM_LOOKUP(h, lib, riExecuteAsync, aclmdlRIExecuteAsync);
    NPUSIM_LOOKUP(h, lib, riDestroy, aclmdlRIDestroy);
    NPUSIM_LOOKUP(h, lib, mallocWithCfg, aclrtMallocWithCfg);
    NPUSIM_LOOKUP(h, lib, mallocHostWithCfg, aclrtMallocHostWithCfg);
    NPUSIM_LOOKUP(h, lib, synchronizeStreamWithTimeout, aclrtSynchronizeStreamWithTimeout);
    NPUSIM_LOOKUP(h, lib, synchronizeEventWithTimeout, aclrtSynchronizeEventWithTimeout);
    NPUSIM_LOOKUP(h, lib, riExecute, aclmdlRIExecute);
    NPUSIM_LOOKUP(h, lib, captureTaskGrpBegin, aclmdlRICaptureTaskGrpBegin);
    NPUSIM_LOOKUP(h, lib, captureTaskGrpEnd, aclmdlRICaptureTaskGrpEnd);
    NPUSIM_LOOKUP(h, lib, captureTaskUpdateBegin, aclmdlRICaptureTaskUpdateBegin);
    NPUSIM_LOOKUP(h, lib, captureTaskUpdateEnd, aclmdlRICaptureTaskUpdateEnd);
  } else if (kind == Binding::Opapi || kind == Binding::OpapiPerOp) {
    const char *lib = "libopapi.so";
    void *h = open_library(lib);
    if (h == nullptr) return false;
    NPUSIM_LOOKUP(h, lib, createTensor, aclCreateTensor);
    NPUSIM_LOOKUP(h, lib, destroyTensor, aclDestroyTensor);
    NPUSIM_LOOKUP(h, lib, addGetWorkspaceSize, aclnnAddGetWorkspaceSize);
    NPUSIM_LOOKUP(h, lib, add, aclnnAdd);
    NPUSIM_LOOKUP(h, lib, matmulGetWorkspaceSize, aclnnMatmulGetWorkspaceSize);
    NPUSIM_LOOKUP(h, lib, matmul, aclnnMatmul);
    NPUSIM_LOOKUP(h, lib, siluGetWorkspaceSize, aclnnSiluGetWorkspaceSize);
    NPUSIM_LOOKUP(h, lib, silu, aclnnSilu);
    NPUSIM_LOOKUP(h, lib, formatCastCalculate, aclnnNpuFormatCastCalculateSizeAndFormat);
    NPUSIM_LOOKUP(h, lib, reselectStaticKernel, aclnnReselectStaticKernel);
    if (kind == Binding::OpapiPerOp) b.opapi = h;  // and look every aclnn stage up again per call
  }
  *out = b;
  return ok;
}

void dlopen_mspti() {
  void *handle = dlopen("libmspti.so", RTLD_NOW | RTLD_LOCAL);
  fprintf(stderr, "npu-sim: dlopen(libmspti.so) %s\n", handle != nullptr ? "loaded" : dlerror());
}

}  // namespace npusim
