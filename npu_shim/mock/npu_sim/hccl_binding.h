// How npu-sim reaches libhccl: linked (the addresses the dynamic linker bound), or the way
// torch_npu's function loader does (REGISTER_LIBRARY(libhccl) + GET_FUNCTION: dlopen of
// "libhccl.so", then dlsym(handle, name) per function; docs/ascend-stack.md, "HCCL").
#pragma once

#include "npu/hccl_api.h"

namespace npusim {

struct HcclBinding {
  decltype(&HcclGetRootInfo) getRootInfo = nullptr;
  decltype(&HcclCommInitRootInfo) commInitRootInfo = nullptr;
  decltype(&HcclCommDestroy) commDestroy = nullptr;
  decltype(&HcclAllReduce) allReduce = nullptr;
  decltype(&HcclAllGather) allGather = nullptr;
  decltype(&HcclReduceScatter) reduceScatter = nullptr;
  decltype(&HcclBroadcast) broadcast = nullptr;
  decltype(&HcclReduce) reduce = nullptr;
  decltype(&HcclAlltoAll) alltoAll = nullptr;
  decltype(&HcclAlltoAllV) alltoAllV = nullptr;
  decltype(&HcclScatter) scatter = nullptr;
  decltype(&HcclSend) send = nullptr;
  decltype(&HcclRecv) recv = nullptr;
  decltype(&HcclBatchSendRecv) batchSendRecv = nullptr;
  decltype(&HcclBarrier) barrier = nullptr;
  decltype(&HcclCommInitRootInfoConfig) commInitRootInfoConfig = nullptr;
};

// false (with a message on stderr) when a name cannot be found.
bool make_hccl_binding(bool use_dlsym, HcclBinding *out);

}  // namespace npusim
