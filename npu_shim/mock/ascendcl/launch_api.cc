// Launch-class entry points: kernels by function handle (single operators: op_api.cc).
// Each returns once the work is queued; the device thread runs it later.
#include <cstring>

#include "ascendcl/runtime.h"
#include "npu/npumock.h"
#include "sim/activity.h"
#include "sim/clock.h"
#include "sim/knobs.h"

using namespace npumock;

namespace {

struct Function {
  const char *name;
  const char *type;
  uint32_t duration_us;
};
HandleSet<Function> &functions() {
  static auto *s = new HandleSet<Function>;
  return *s;
}

aclError launch_function(aclrtFuncHandle func, uint32_t numBlocks, aclrtStream stream) {
  if (func == nullptr || numBlocks == 0) return ACL_ERROR_INVALID_PARAM;
  if (!functions().contains(func)) return ACL_ERROR_RT_INVALID_HANDLE;  // ValidateKernelHandleForApi
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  spend_launch_host_time();
  const auto *f = static_cast<Function *>(func);
  return enqueue_kernel(s, KernelSpec{f->name, f->type, kernel_duration_ns(f->duration_us)});
}

}  // namespace

extern "C" {

aclError npumock_get_function(const char *kernelName, uint32_t durationUs, aclrtFuncHandle *func) {
  if (kernelName == nullptr || func == nullptr) return ACL_ERROR_INVALID_PARAM;
  *func = functions().add(new Function{intern(kernelName), intern("KERNEL_AICORE"), durationUs});
  return ACL_SUCCESS;
}

// The runtime layer's launches (the fake libruntime.so's rt* entry points) enqueue through here,
// so there is one simulated device per process. The caller counted the call and checked its
// own arguments; this resolves the stream for the calling thread, spends the launch's host
// time and enqueues (or captures, or rewrites a task group) like any other kernel launch.
aclError npumock_launch_kernel(aclrtStream stream, aclrtFuncHandle func, const char *name,
                               const char *type) {
  KernelSpec k{nullptr, nullptr, 0};
  if (func != nullptr) {
    if (!functions().contains(func)) return ACL_ERROR_RT_PARAM_INVALID;  // not a registered stub
    const auto *f = static_cast<Function *>(func);
    k = KernelSpec{f->name, f->type, kernel_duration_ns(f->duration_us)};
  } else {
    if (name == nullptr || type == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
    k = KernelSpec{intern(name), intern(type), kernel_duration_ns(0)};
  }
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  spend_launch_host_time();
  return enqueue_kernel(s, k);
}

// MSPTI's device markers (Ascend/mspti csrc/common/runtime_utils.cpp ProfTrace, called by
// csrc/activity/ascend/parser/mstx_parser.cpp InnerDeviceStartA/EndA): a zero-length task on the
// stream whose time the device reports when it gets there. How the real runtime checks the
// buffer is not in the sources read: the mock wants at least the 18 bytes MSPTI passes.
aclError aclrtProfTrace(void *userdata, int32_t length, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtProfTrace");
  constexpr int32_t kTraceBytes = 18;  // #pragma pack(1) {uint64_t, uint64_t, uint16_t}
  if (userdata == nullptr || length < kTraceBytes) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  Task t;
  t.kind = Task::Kind::ProfTrace;
  memcpy(&t.trace_index, userdata, sizeof t.trace_index);
  memcpy(&t.trace_model, static_cast<const char *>(userdata) + 8, sizeof t.trace_model);
  enqueue_task(s, t);
  return ACL_SUCCESS;
}

// libhccl's collectives: no launch host time here; libhccl spent its own enqueue time
// (NPU_MOCK_HCCL_HOST_US) before it called this.
aclError npumock_launch_collective(aclrtStream stream, const char *name, uint64_t duration_ns) {
  if (name == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  return enqueue_kernel(s, KernelSpec{intern(name), intern("HCCL"), duration_ns});
}

aclError aclrtLaunchKernel(aclrtFuncHandle funcHandle, uint32_t numBlocks, const void *argsData,
                           size_t argsSize, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtLaunchKernel");
  if (argsSize > 0 && argsData == nullptr) return ACL_ERROR_INVALID_PARAM;
  return launch_function(funcHandle, numBlocks, stream);
}

aclError aclrtLaunchKernelV2(aclrtFuncHandle funcHandle, uint32_t numBlocks, const void *argsData,
                             size_t argsSize, void *cfg, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtLaunchKernelV2");
  (void)cfg;
  if (argsSize > 0 && argsData == nullptr) return ACL_ERROR_INVALID_PARAM;
  return launch_function(funcHandle, numBlocks, stream);
}

aclError aclrtLaunchKernelWithConfig(aclrtFuncHandle funcHandle, uint32_t numBlocks,
                                     aclrtStream stream, void *cfg, void *argsHandle,
                                     void *reserve) {
  NPUMOCK_ENTER("aclrtLaunchKernelWithConfig");
  (void)cfg;
  if (argsHandle == nullptr || reserve != nullptr) return ACL_ERROR_INVALID_PARAM;
  return launch_function(funcHandle, numBlocks, stream);
}

aclError aclrtLaunchKernelWithHostArgs(aclrtFuncHandle funcHandle, uint32_t numBlocks,
                                       aclrtStream stream, void *cfg, void *hostArgs,
                                       size_t argsSize, void *placeHolderArray,
                                       size_t placeHolderNum) {
  NPUMOCK_ENTER("aclrtLaunchKernelWithHostArgs");
  (void)cfg;
  if ((argsSize > 0 && hostArgs == nullptr) || (placeHolderNum > 0 && placeHolderArray == nullptr)) {
    return ACL_ERROR_INVALID_PARAM;
  }
  return launch_function(funcHandle, numBlocks, stream);
}

}  // extern "C"
