#include "npu_sim/hccl_binding.h"

#include <dlfcn.h>

#include <cstdio>

namespace npusim {
namespace {

template <typename Fn>
bool bind(void *handle, const char *name, Fn *out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*out == nullptr) fprintf(stderr, "npu-sim: dlsym(libhccl, %s) failed: %s\n", name, dlerror());
  return *out != nullptr;
}

}  // namespace

bool make_hccl_binding(bool use_dlsym, HcclBinding *b) {
  if (!use_dlsym) {
    *b = HcclBinding{&HcclGetRootInfo, &HcclCommInitRootInfo, &HcclCommDestroy, &HcclAllReduce,
                     &HcclAllGather,   &HcclReduceScatter,    &HcclBroadcast,   &HcclReduce,
                     &HcclAlltoAll,    &HcclAlltoAllV,        &HcclScatter,     &HcclSend,
                     &HcclRecv,        &HcclBatchSendRecv,    &HcclBarrier};
    b->commInitRootInfoConfig = &HcclCommInitRootInfoConfig;
    return true;
  }
  // torch_npu's FunctionLoader: dlopen(libhccl.so, RTLD_LAZY), then dlsym(handle, name).
  void *handle = dlopen("libhccl.so", RTLD_LAZY);
  if (handle == nullptr) {
    fprintf(stderr, "npu-sim: dlopen(libhccl.so) failed: %s\n", dlerror());
    return false;
  }
  bool ok = bind(handle, "HcclGetRootInfo", &b->getRootInfo);
  ok = bind(handle, "HcclCommInitRootInfo", &b->commInitRootInfo) && ok;
  ok = bind(handle, "HcclCommDestroy", &b->commDestroy) && ok;
  ok = bind(handle, "HcclCommInitRootInfoConfig", &b->commInitRootInfoConfig) && ok;
  ok = bind(handle, "HcclAllReduce", &b->allReduce) && ok;
  ok = bind(handle, "HcclAllGather", &b->allGather) && ok;
  ok = bind(handle, "HcclReduceScatter", &b->reduceScatter) && ok;
  ok = bind(handle, "HcclBroadcast", &b->broadcast) && ok;
  ok = bind(handle, "HcclReduce", &b->reduce) && ok;
  ok = bind(handle, "HcclAlltoAll", &b->alltoAll) && ok;
  ok = bind(handle, "HcclAlltoAllV", &b->alltoAllV) && ok;
  ok = bind(handle, "HcclScatter", &b->scatter) && ok;
  ok = bind(handle, "HcclSend", &b->send) && ok;
  ok = bind(handle, "HcclRecv", &b->recv) && ok;
  ok = bind(handle, "HcclBatchSendRecv", &b->batchSendRecv) && ok;
  return bind(handle, "HcclBarrier", &b->barrier) && ok;
}

}  // namespace npusim
