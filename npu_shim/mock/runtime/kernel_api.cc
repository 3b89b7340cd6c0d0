// The fake libruntime.so: the launches operator code makes below ACL (npu/rt_api.h). Like every
// entry point of the mock each call is counted and fault-injectable (NPU_MOCK_FAIL / _HANG);
// the kernel goes to the one simulated device of the process, which lives in libascendcl, through
// npumock_launch_kernel. Argument checks and codes follow src/runtime/api/api_c.cc and
// ApiErrorDecorator::KernelLaunch / CpuKernelLaunchExWithArgs (docs/mock-sources.md).
#include <cstdint>

#include "npu/npumock.h"
#include "npu/npumock_rt.h"
#include "npu/rt_api.h"

extern "C" {

// A kernel by its registered stub: in the mock a handle from npumock_get_function.
rtError_t rtKernelLaunchWithFlagV2(const void *stubFunc, uint32_t numBlocks, rtArgsEx_t *argsInfo,
                                   rtSmDesc_t *smDesc, rtStream_t stm, uint32_t flags,
                                   const rtTaskCfgInfo_t *cfgInfo) {
  static const int id = npumock_api_id("rtKernelLaunchWithFlagV2");
  if (int injected = npumock_api_enter(id)) return injected;
  (void)smDesc, (void)flags, (void)cfgInfo;
  if (stubFunc == nullptr || numBlocks == 0 || numBlocks > UINT16_MAX) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (argsInfo == nullptr || argsInfo->args == nullptr || argsInfo->argsSize == 0) {
    return ACL_ERROR_RT_PARAM_INVALID;  // ApiErrorDecorator::CheckArgs
  }
  return npumock_launch_kernel(stm, const_cast<void *>(stubFunc), nullptr, nullptr);
}

// An AI-CPU kernel by name (opbase's aicpu_task.cpp, MC2 operators): a KERNEL_AICPU task.
rtError_t rtAicpuKernelLaunchExWithArgs(const uint32_t kernelType, const char *const opName,
                                        const uint32_t numBlocks, const rtAicpuArgsEx_t *argsInfo,
                                        rtSmDesc_t *const smDesc, const rtStream_t stm,
                                        const uint32_t flags) {
  static const int id = npumock_api_id("rtAicpuKernelLaunchExWithArgs");
  if (int injected = npumock_api_enter(id)) return injected;
  (void)smDesc, (void)flags;
  if (kernelType != NPUMOCK_KERNEL_TYPE_FWK && kernelType != NPUMOCK_KERNEL_TYPE_AICPU &&
      kernelType != NPUMOCK_KERNEL_TYPE_AICPU_CUSTOM && kernelType != NPUMOCK_KERNEL_TYPE_AICPU_KFC) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (opName == nullptr || numBlocks == 0 || numBlocks >= 0x10000U) return ACL_ERROR_RT_PARAM_INVALID;
  if (argsInfo == nullptr || argsInfo->args == nullptr || argsInfo->argsSize == 0) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  return npumock_launch_kernel(stm, nullptr, opName, "KERNEL_AICPU");
}

}  // extern "C"
