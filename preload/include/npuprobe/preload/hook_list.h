// Every ACL (and below-ACL runtime, and HCCL) entry point npuprobe wraps, as an X-macro so that the hook
// ids, the names for dlsym and the per-function error labels come from one list. Who calls each
// one and how: docs/ascend-stack.md.
//
// Public (the npuprobe_hook_list target) because `npuprobe check` asks whether the CANN found
// exports each of them; the preload's ids over it are preload/interpose/hook_list.h.
#pragma once

#define NPUPROBE_ACL_HOOKS(X)          \
  X(aclInit)                           \
  X(aclFinalize)                       \
  X(aclrtSetDevice)                    \
  X(aclrtResetDevice)                  \
  X(aclrtCreateContext)                \
  X(aclrtSetCurrentContext)            \
  X(aclrtCreateEvent)                  \
  X(aclrtCreateEventWithFlag)          \
  X(aclrtDestroyEvent)                 \
  X(aclrtRecordEvent)                  \
  X(aclrtSynchronizeEvent)             \
  X(aclrtSynchronizeEventWithTimeout)  \
  X(aclrtSynchronizeStream)            \
  X(aclrtSynchronizeStreamWithTimeout) \
  X(aclrtSynchronizeDevice)            \
  X(aclrtSynchronizeDeviceWithTimeout) \
  X(aclrtMalloc)                       \
  X(aclrtMallocAlign32)                \
  X(aclrtFree)                         \
  X(aclrtMallocWithCfg)                \
  X(aclrtMallocHost)                   \
  X(aclrtMallocHostWithCfg)            \
  X(aclrtFreeHost)                     \
  X(aclrtMallocPhysical)               \
  X(aclrtFreePhysical)                 \
  X(aclrtMemcpy)                       \
  X(aclrtMemcpyAsync)                  \
  X(aclrtMemcpyAsyncWithCondition)     \
  X(aclrtMemcpyBatch)                  \
  X(aclrtMemcpyBatchAsync)             \
  X(aclopExecuteV2)                    \
  X(aclopCompileAndExecute)            \
  X(aclopCompileAndExecuteV2)          \
  X(aclmdlExecute)                     \
  X(aclmdlExecuteAsync)                \
  X(aclmdlRICaptureBegin)              \
  X(aclmdlRICaptureEnd)                \
  X(aclmdlRICaptureTaskGrpBegin)       \
  X(aclmdlRICaptureTaskGrpEnd)         \
  X(aclmdlRICaptureTaskUpdateBegin)    \
  X(aclmdlRICaptureTaskUpdateEnd)      \
  X(aclmdlRIExecuteAsync)              \
  X(aclmdlRIExecute)                   \
  X(aclrtLaunchKernel)                 \
  X(aclrtLaunchKernelV2)               \
  X(aclrtLaunchKernelWithConfig)       \
  X(aclrtLaunchKernelWithHostArgs)     \
  X(rtKernelLaunchWithFlagV2)          \
  X(rtAicpuKernelLaunchExWithArgs)      \
  X(HcclCommInitRootInfo)              \
  X(HcclCommInitRootInfoConfig)        \
  X(HcclCommInitAll)                   \
  X(HcclCommInitClusterInfo)           \
  X(HcclCommDestroy)                   \
  X(HcclAllReduce)                     \
  X(HcclAllGather)                     \
  X(HcclReduceScatter)                 \
  X(HcclBroadcast)                     \
  X(HcclReduce)                        \
  X(HcclAlltoAll)                      \
  X(HcclAlltoAllV)                     \
  X(HcclScatter)                       \
  X(HcclSend)                          \
  X(HcclRecv)                          \
  X(HcclBatchSendRecv)                 \
  X(HcclBarrier)
