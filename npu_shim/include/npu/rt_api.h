// The runtime layer below ACL (libruntime.so) as far as npuprobe interposes it: the launches
// that operator code makes without going through aclrt* (docs/ascend-stack.md, "Below ACL").
// Argument structures are passed by pointer and never read by npuprobe, so they stay opaque
// here; the parameter lists match pkg_inc/runtime/runtime/kernel.h and
// pkg_inc/runtime/rt_external_kernel.h of the open-sourced CANN runtime.
#ifndef NPU_RT_API_H
#define NPU_RT_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t rtError_t;
typedef void *rtStream_t;
typedef struct tagRtArgsEx rtArgsEx_t;
typedef struct tagRtAicpuArgsEx rtAicpuArgsEx_t;
typedef struct tagRtSmDesc rtSmDesc_t;
typedef struct tagRtTaskCfgInfo rtTaskCfgInfo_t;

enum { RT_ERROR_NONE = 0 };

// A kernel by its registered stub (ATB's lcal, older operator code).
rtError_t rtKernelLaunchWithFlagV2(const void *stubFunc, uint32_t numBlocks, rtArgsEx_t *argsInfo,
                                   rtSmDesc_t *smDesc, rtStream_t stm, uint32_t flags,
                                   const rtTaskCfgInfo_t *cfgInfo);
// An AI-CPU kernel by name (opbase's AI-CPU and MC2 operators).
rtError_t rtAicpuKernelLaunchExWithArgs(const uint32_t kernelType, const char *const opName,
                                        const uint32_t numBlocks, const rtAicpuArgsEx_t *argsInfo,
                                        rtSmDesc_t *const smDesc, const rtStream_t stm,
                                        const uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif  // NPU_RT_API_H
