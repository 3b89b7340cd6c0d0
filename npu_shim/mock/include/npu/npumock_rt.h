// The argument structures of the runtime launches in npu/rt_api.h, which npuprobe keeps opaque
// (it never reads them) but the fake libruntime.so checks and npu-sim fills in. Layouts of
// pkg_inc/runtime/rt_external_kernel.h and the kernel types of pkg_inc/runtime/runtime/kernel.h
// in the open-sourced CANN runtime (hicann/runtime, docs/mock-sources.md).
#ifndef NPU_NPUMOCK_RT_H
#define NPU_NPUMOCK_RT_H

#include <stdbool.h>
#include <stdint.h>

#include "npu/rt_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtHostInputInfo {
  uint32_t addrOffset;
  uint32_t dataOffset;
} rtHostInputInfo_t;

struct tagRtArgsEx {
  void *args;                           // args host mem addr
  rtHostInputInfo_t *hostInputInfoPtr;  // NULL: no host mem input
  uint32_t argsSize;
  uint32_t tilingAddrOffset;
  uint32_t tilingDataOffset;
  uint16_t hostInputInfoNum;
  uint8_t hasTiling;
  uint8_t isNoNeedH2DCopy;
  uint8_t reserved[4];
};

struct tagRtAicpuArgsEx {
  void *args;  // args host mem addr
  rtHostInputInfo_t *hostInputInfoPtr;
  rtHostInputInfo_t *kernelOffsetInfoPtr;
  uint32_t argsSize;
  uint16_t hostInputInfoNum;
  uint16_t kernelOffsetInfoNum;
  uint32_t soNameAddrOffset;
  uint32_t kernelNameAddrOffset;
  bool isNoNeedH2DCopy;
  uint16_t timeout;
  uint8_t reserved;
};

// rtKernelType_t: the kernel types rtAicpuKernelLaunchExWithArgs accepts.
enum {
  NPUMOCK_KERNEL_TYPE_FWK = 1,
  NPUMOCK_KERNEL_TYPE_AICPU = 2,
  NPUMOCK_KERNEL_TYPE_AICPU_CUSTOM = 4,
  NPUMOCK_KERNEL_TYPE_AICPU_KFC = 5,
};

#ifdef __cplusplus
}
#endif

#endif  // NPU_NPUMOCK_RT_H
