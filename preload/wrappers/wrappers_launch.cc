// Launch-class entry points (docs/contract.md `npu:launches{api}`): the host enqueues device work.
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"
#include "npu/rt_api.h"
#include "op_libraries.h"

using npuprobe::preload::HookId;
using npuprobe::preload::LaunchKind;
using npuprobe::preload::measure_launch;
using npuprobe::probes::LaunchApi;

namespace {

// A kernel launch made from inside an operator library is that operator's launch (libopapi's
// second stage calls aclrtLaunchKernelWithHostArgs): api="aclnn".
LaunchKind kernel_launch(HookId hook, const void *caller, LaunchApi api = LaunchApi::kKernel) {
  return LaunchKind{api, nullptr, nullptr, nullptr, hook, caller};
}

LaunchKind launch(LaunchApi api, HookId hook) {
  return LaunchKind{api, nullptr, nullptr, nullptr, hook};
}

}  // namespace

bool npuprobe::preload::launched_from_operator_library(const void *caller) noexcept {
  return g_op_libraries.contains(caller);
}

NPUPROBE_HOOK(aclError, aclrtLaunchKernel,
              (aclrtFuncHandle func, uint32_t blocks, const void *args, size_t size,
               aclrtStream stream),
              (func, blocks, args, size, stream)) {
  return measure_launch(kernel_launch(HookId::aclrtLaunchKernel, caller), stream,
                        [&] { return real(func, blocks, args, size, stream); });
}

NPUPROBE_HOOK(aclError, aclrtLaunchKernelV2,
              (aclrtFuncHandle func, uint32_t blocks, const void *args, size_t size, void *cfg,
               aclrtStream stream),
              (func, blocks, args, size, cfg, stream)) {
  return measure_launch(kernel_launch(HookId::aclrtLaunchKernelV2, caller), stream,
                        [&] { return real(func, blocks, args, size, cfg, stream); });
}

NPUPROBE_HOOK(aclError, aclrtLaunchKernelWithConfig,
              (aclrtFuncHandle func, uint32_t blocks, aclrtStream stream, void *cfg,
               void *args_handle, void *reserve),
              (func, blocks, stream, cfg, args_handle, reserve)) {
  return measure_launch(kernel_launch(HookId::aclrtLaunchKernelWithConfig, caller), stream,
                        [&] { return real(func, blocks, stream, cfg, args_handle, reserve); });
}

NPUPROBE_HOOK(aclError, aclrtLaunchKernelWithHostArgs,
              (aclrtFuncHandle func, uint32_t blocks, aclrtStream stream, void *cfg,
               void *host_args, size_t args_size, void *place_holders, size_t place_holder_num),
              (func, blocks, stream, cfg, host_args, args_size, place_holders,
               place_holder_num)) {
  return measure_launch(kernel_launch(HookId::aclrtLaunchKernelWithHostArgs, caller), stream,
                        [&] {
                          return real(func, blocks, stream, cfg, host_args, args_size,
                                      place_holders, place_holder_num);
                        });
}

NPUPROBE_HOOK(aclError, aclopExecuteV2,
              (const char *op_type, int num_inputs, aclTensorDesc *input_desc[],
               aclDataBuffer *inputs[], int num_outputs, aclTensorDesc *output_desc[],
               aclDataBuffer *outputs[], aclopAttr *attr, aclrtStream stream),
              (op_type, num_inputs, input_desc, inputs, num_outputs, output_desc, outputs, attr,
               stream)) {
  static_cast<void>(caller);
  return measure_launch(launch(LaunchApi::kAclop, HookId::aclopExecuteV2), stream, [&] {
    return real(op_type, num_inputs, input_desc, inputs, num_outputs, output_desc, outputs,
                attr, stream);
  });
}

NPUPROBE_HOOK(aclError, aclopCompileAndExecute,
              (const char *op_type, int num_inputs, const aclTensorDesc *const input_desc[],
               const aclDataBuffer *const inputs[], int num_outputs,
               const aclTensorDesc *const output_desc[], aclDataBuffer *const outputs[],
               const aclopAttr *attr, int engine_type, int compile_flag, const char *op_path,
               aclrtStream stream),
              (op_type, num_inputs, input_desc, inputs, num_outputs, output_desc, outputs, attr,
               engine_type, compile_flag, op_path, stream)) {
  static_cast<void>(caller);
  return measure_launch(launch(LaunchApi::kAclop, HookId::aclopCompileAndExecute), stream, [&] {
    return real(op_type, num_inputs, input_desc, inputs, num_outputs, output_desc, outputs, attr,
                engine_type, compile_flag, op_path, stream);
  });
}

NPUPROBE_HOOK(aclError, aclopCompileAndExecuteV2,
              (const char *op_type, int num_inputs, aclTensorDesc *input_desc[],
               aclDataBuffer *inputs[], int num_outputs, aclTensorDesc *output_desc[],
               aclDataBuffer *outputs[], aclopAttr *attr, int engine_type, int compile_flag,
               const char *op_path, aclrtStream stream),
              (op_type, num_inputs, input_desc, inputs, num_outputs, output_desc, outputs, attr,
               engine_type, compile_flag, op_path, stream)) {
  static_cast<void>(caller);
  return measure_launch(launch(LaunchApi::kAclop, HookId::aclopCompileAndExecuteV2), stream,
                        [&] {
                          return real(op_type, num_inputs, input_desc, inputs, num_outputs,
                                      output_desc, outputs, attr, engine_type, compile_flag,
                                      op_path, stream);
                        });
}

NPUPROBE_HOOK(aclError, aclmdlExecuteAsync,
              (uint32_t model_id, const aclmdlDataset *input, aclmdlDataset *output,
               aclrtStream stream),
              (model_id, input, output, stream)) {
  static_cast<void>(caller);
  return measure_launch(launch(LaunchApi::kModel, HookId::aclmdlExecuteAsync), stream,
                        [&] { return real(model_id, input, output, stream); });
}

NPUPROBE_HOOK(aclError, aclmdlRIExecuteAsync, (aclmdlRI graph, aclrtStream stream),
              (graph, stream)) {
  static_cast<void>(caller);
  return measure_launch(launch(LaunchApi::kGraph, HookId::aclmdlRIExecuteAsync), stream,
                        [&] { return real(graph, stream); });
}

// Below ACL (libruntime): operator code that launches without aclrt* (ATB's lcal kernels,
// opbase's AI-CPU and MC2 operators). Counted once with their own api label; when ACL itself
// calls down into these (an ACL launch in progress on this thread), the nested call is
// forwarded untouched. From inside an operator library they are that aclnn op's launch.
NPUPROBE_HOOK(rtError_t, rtKernelLaunchWithFlagV2,
              (const void *stub_func, uint32_t num_blocks, rtArgsEx_t *args_info,
               rtSmDesc_t *sm_desc, rtStream_t stream, uint32_t flags,
               const rtTaskCfgInfo_t *cfg_info),
              (stub_func, num_blocks, args_info, sm_desc, stream, flags, cfg_info)) {
  return measure_launch(
      kernel_launch(HookId::rtKernelLaunchWithFlagV2, caller, LaunchApi::kRtKernel), stream,
      [&] { return real(stub_func, num_blocks, args_info, sm_desc, stream, flags, cfg_info); });
}

NPUPROBE_HOOK(rtError_t, rtAicpuKernelLaunchExWithArgs,
              (const uint32_t kernel_type, const char *const op_name, const uint32_t num_blocks,
               const rtAicpuArgsEx_t *args_info, rtSmDesc_t *const sm_desc,
               const rtStream_t stream, const uint32_t flags),
              (kernel_type, op_name, num_blocks, args_info, sm_desc, stream, flags)) {
  return measure_launch(
      kernel_launch(HookId::rtAicpuKernelLaunchExWithArgs, caller, LaunchApi::kAicpu), stream,
      [&] { return real(kernel_type, op_name, num_blocks, args_info, sm_desc, stream, flags); });
}
