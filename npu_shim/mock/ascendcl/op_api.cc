// Single operators (aclop*): one kernel each, queued like any launch. In the split layout
// (lib-split/) these live in the compat libascendcl.so, not in libacl_rt.so.
#include "ascendcl/runtime.h"
#include "sim/activity.h"
#include "sim/clock.h"
#include "sim/knobs.h"

using namespace npumock;

namespace {

aclError launch_op(const char *opType, int numInputs, int numOutputs, aclrtStream stream,
                   uint32_t extra_host_us) {
  if (opType == nullptr || numInputs < 0 || numOutputs < 0) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  burn_host_us(extra_host_us);
  spend_launch_host_time();
  return enqueue_kernel(s, KernelSpec{intern(opType), intern("KERNEL_AICORE"), kernel_duration_ns(0)});
}

}  // namespace

extern "C" {

aclError aclopExecuteV2(const char *opType, int numInputs, aclTensorDesc *inputDesc[],
                        aclDataBuffer *inputs[], int numOutputs, aclTensorDesc *outputDesc[],
                        aclDataBuffer *outputs[], aclopAttr *attr, aclrtStream stream) {
  NPUMOCK_ENTER("aclopExecuteV2");
  (void)inputDesc, (void)inputs, (void)outputDesc, (void)outputs, (void)attr;
  return launch_op(opType, numInputs, numOutputs, stream, 0);
}

aclError aclopCompileAndExecute(const char *opType, int numInputs,
                                const aclTensorDesc *const inputDesc[],
                                const aclDataBuffer *const inputs[], int numOutputs,
                                const aclTensorDesc *const outputDesc[],
                                aclDataBuffer *const outputs[], const aclopAttr *attr,
                                int engineType, int compileFlag, const char *opPath,
                                aclrtStream stream) {
  NPUMOCK_ENTER("aclopCompileAndExecute");
  (void)inputDesc, (void)inputs, (void)outputDesc, (void)outputs, (void)attr;
  (void)engineType, (void)compileFlag, (void)opPath;
  return launch_op(opType, numInputs, numOutputs, stream, knobs().compile_us);
}

aclError aclopCompileAndExecuteV2(const char *opType, int numInputs, aclTensorDesc *inputDesc[],
                                  aclDataBuffer *inputs[], int numOutputs,
                                  aclTensorDesc *outputDesc[], aclDataBuffer *outputs[],
                                  aclopAttr *attr, int engineType, int compileFlag,
                                  const char *opPath, aclrtStream stream) {
  NPUMOCK_ENTER("aclopCompileAndExecuteV2");
  (void)inputDesc, (void)inputs, (void)outputDesc, (void)outputs, (void)attr;
  (void)engineType, (void)compileFlag, (void)opPath;
  return launch_op(opType, numInputs, numOutputs, stream, knobs().compile_us);
}

}  // extern "C"
