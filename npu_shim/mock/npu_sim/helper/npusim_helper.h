// libnpusim-helper.so: the two npu-sim call sites that attribution (issue 9) must find by name.
// They live in their own shared library, built with debug information, so a native stack taken
// inside an ACL call shows "npu_sim_stray_sync" / "npu_sim_slow_launch" with file and line.
// The helper calls the ACL function pointer it is given (linked, dlsym'ed or op-plugin's), so the
// binding under test is unchanged and the helper is the caller frame of the ACL call.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "npu/aclnn_api.h"
#include "npu/rt_api.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NPUSIM_HELPER_API __attribute__((visibility("default"), noinline))

typedef enum {
  NPUSIM_LAUNCH_ACLNN,   // an aclnn second stage: fn(workspace, size, executor, stream)
  NPUSIM_LAUNCH_ACLOP,   // aclopExecuteV2("Add", 2 inputs, 1 output)
  NPUSIM_LAUNCH_KERNEL,  // aclrtLaunchKernel(func, block_dim, args, args_size, stream)
  NPUSIM_LAUNCH_GRAPH,   // aclmdlRIExecuteAsync(graph, stream)
  NPUSIM_LAUNCH_RT,      // rtKernelLaunchWithFlagV2(func, block_dim, rt_args, NULL, stream, 0, NULL)
  NPUSIM_LAUNCH_AICPU,   // rtAicpuKernelLaunchExWithArgs(2, aicpu_name, 1, aicpu_args, NULL, stream, 0)
  NPUSIM_LAUNCH_GRAPH_SYNC,  // aclmdlRIExecute(graph, -1)
} npusim_launch_kind;

// One launch as npu-sim would make it; only the fields of `kind` are read.
typedef struct {
  npusim_launch_kind kind;
  aclrtStream stream;
  aclnnStatus (*aclnn)(void *, uint64_t, aclOpExecutor *, aclrtStream);
  aclOpExecutor *executor;
  aclError (*aclop)(const char *, int, aclTensorDesc *[], aclDataBuffer *[], int, aclTensorDesc *[],
                    aclDataBuffer *[], aclopAttr *, aclrtStream);
  aclError (*kernel)(aclrtFuncHandle, uint32_t, const void *, size_t, aclrtStream);
  aclrtFuncHandle func;
  uint32_t block_dim;
  const void *args;
  size_t args_size;
  aclError (*graph_execute)(aclmdlRI, aclrtStream);
  aclmdlRI graph;
  // The fake runtime's npumock_add_next_launch_host_us (npu/npumock.h).
  void (*add_next_launch_host_us)(uint32_t);
  // Launches below ACL (libruntime.so) and the synchronous graph replay.
  rtError_t (*rt_kernel)(const void *, uint32_t, rtArgsEx_t *, rtSmDesc_t *, rtStream_t, uint32_t,
                         const rtTaskCfgInfo_t *);
  rtArgsEx_t *rt_args;
  rtError_t (*rt_aicpu)(uint32_t, const char *, uint32_t, const rtAicpuArgsEx_t *, rtSmDesc_t *,
                        rtStream_t, uint32_t);
  const char *aicpu_name;
  const rtAicpuArgsEx_t *aicpu_args;
  aclError (*graph_execute_sync)(aclmdlRI, int32_t);
} npusim_launch;

// Makes the launch on the calling thread, and that launch call spends `us` more microseconds of
// host time inside the runtime (like an op compilation or a tiling miss inside the launch): the
// slowness is in the launch call, where a profiler measures it. Returns the launch's status.
NPUSIM_HELPER_API aclError npu_sim_slow_launch(uint32_t us, const npusim_launch *launch);

// An unexpected host wait (an .item() in the middle of a step): synchronize_stream(stream).
NPUSIM_HELPER_API aclError npu_sim_stray_sync(aclError (*synchronize_stream)(aclrtStream),
                                              aclrtStream stream);

#ifdef __cplusplus
}
#endif
