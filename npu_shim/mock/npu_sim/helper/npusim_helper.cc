// The two named call sites of npu-sim (npusim_helper.h). Built with -g, frame pointers, unwind
// tables and no sibling calls (CMakeLists.txt), so each function keeps its own frame under the
// ACL call it makes.
#include "npu_sim/helper/npusim_helper.h"

#include <time.h>

namespace {

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Spins rather than sleeps: a slow launch is host CPU work (compilation, tiling), and a sleep
// could overshoot by a scheduler tick.
void burn_host_us(uint32_t us) {
  const uint64_t end = mono_ns() + uint64_t(us) * 1000u;
  while (mono_ns() < end) {
  }
}

// Inlined on purpose: the ACL call's caller frame must be npu_sim_slow_launch itself.
inline __attribute__((always_inline)) aclError make_launch(const npusim_launch *l) {
  switch (l->kind) {
    case NPUSIM_LAUNCH_ACLNN:
      return l->aclnn(nullptr, 0, l->executor, l->stream);
    case NPUSIM_LAUNCH_ACLOP:
      return l->aclop("Add", 2, nullptr, nullptr, 1, nullptr, nullptr, nullptr, l->stream);
    case NPUSIM_LAUNCH_KERNEL:
      return l->kernel(l->func, l->block_dim, l->args, l->args_size, l->stream);
    case NPUSIM_LAUNCH_GRAPH:
      return l->graph_execute(l->graph, l->stream);
  }
  return ACL_ERROR_INVALID_PARAM;
}

}  // namespace

extern "C" {

// note: the stores through `volatile` after each call keep the call from becoming a tail jump
// even if someone builds without -fno-optimize-sibling-calls: the frame must stay on the stack.
aclError npu_sim_slow_launch(uint32_t us, const npusim_launch *launch) {
  burn_host_us(us);
  volatile aclError rc = make_launch(launch);
  return rc;
}

aclError npu_sim_stray_sync(aclError (*synchronize_stream)(aclrtStream), aclrtStream stream) {
  volatile aclError rc = synchronize_stream(stream);
  return rc;
}

}  // extern "C"
