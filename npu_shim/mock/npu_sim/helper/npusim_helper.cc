// The two named call sites of npu-sim (npusim_helper.h). Built with -g, frame pointers, unwind
// tables and no sibling calls (CMakeLists.txt), so each function keeps its own frame under the
// ACL call it makes.
#include "npu_sim/helper/npusim_helper.h"

extern "C" {

// note: the stores through `volatile` after each call keep the call from becoming a tail jump
// even if someone builds without -fno-optimize-sibling-calls: the frame must stay on the stack.
// The ACL calls are written here, not in a helper: even an inlined helper would be its own
// DWARF inline frame, and a symbolizer would name it instead of npu_sim_slow_launch.
aclError npu_sim_slow_launch(uint32_t us, const npusim_launch *l) {
  l->add_next_launch_host_us(us);
  volatile aclError rc = ACL_ERROR_INVALID_PARAM;
  switch (l->kind) {
    case NPUSIM_LAUNCH_ACLNN:
      rc = l->aclnn(nullptr, 0, l->executor, l->stream);
      break;
    case NPUSIM_LAUNCH_ACLOP:
      rc = l->aclop("Add", 2, nullptr, nullptr, 1, nullptr, nullptr, nullptr, l->stream);
      break;
    case NPUSIM_LAUNCH_KERNEL:
      rc = l->kernel(l->func, l->block_dim, l->args, l->args_size, l->stream);
      break;
    case NPUSIM_LAUNCH_GRAPH:
      rc = l->graph_execute(l->graph, l->stream);
      break;
    case NPUSIM_LAUNCH_RT:
      rc = l->rt_kernel(l->func, l->block_dim, l->rt_args, nullptr, l->stream, 0, nullptr);
      break;
    case NPUSIM_LAUNCH_AICPU:
      rc = l->rt_aicpu(2 /* KERNEL_TYPE_AICPU */, l->aicpu_name, 1, l->aicpu_args, nullptr, l->stream, 0);
      break;
    case NPUSIM_LAUNCH_GRAPH_SYNC:
      rc = l->graph_execute_sync(l->graph, -1);
      break;
  }
  return rc;
}

aclError npu_sim_stray_sync(aclError (*synchronize_stream)(aclrtStream), aclrtStream stream) {
  volatile aclError rc = synchronize_stream(stream);
  return rc;
}

}  // extern "C"
