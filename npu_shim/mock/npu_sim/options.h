// npu-sim command line (docs/contract.md, "npu-sim").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim {

enum class Binding { Linked, Dlsym, Opapi, OpapiPerOp };
enum class SyncKind {
  Stream, Device, Event, Memcpy,
  Conditional,    // aclrtMemcpyAsyncWithCondition D2H into pageable memory (blocks)
  Batch,          // aclrtMemcpyBatch D2H
  EventTimeout,   // aclrtRecordEvent + aclrtSynchronizeEventWithTimeout
  StreamTimeout,  // aclrtSynchronizeStreamWithTimeout
  Graph,          // the step is one synchronous aclmdlRIExecute (needs --graph)
};
enum class LaunchApi {
  Aclnn, Aclop, Kernel, Mixed,
  Rt,     // rtKernelLaunchWithFlagV2 in libruntime (ATB's lcal)
  Aicpu,  // rtAicpuKernelLaunchExWithArgs in libruntime
};
enum class StepCopy { None, Conditional, Batch };

struct Options {
  uint32_t steps = 10;
  uint32_t launches = 8;
  uint32_t ops = 0;  // > 0: launch i of a step runs aclnnSimOp<i % ops> (opapi-per-op)
  uint32_t device_us = 20;
  uint32_t host_gap_us = 200;
  uint32_t launch_host_us = 0;
  Binding binding = Binding::Linked;
  LaunchApi launch_api = LaunchApi::Aclnn;
  bool task_queue = false;      // task_queue_level >= 1
  uint32_t task_queue_level = 0;  // 1: launches on the queue thread; 2: first stages too
  bool graph = false;
  std::vector<int> devices{0};
  uint64_t alloc_bytes = 0;
  bool expandable = false;
  SyncKind sync = SyncKind::Stream;
  bool async_sched = false;
  // Attribution workloads (issue 9), counted over the launches a device makes outside a graph
  // capture (a graph replay is one launch); 0 = off.
  uint32_t stray_sync_every = 0;   // every Nth launch is followed by npu_sim_stray_sync
  uint32_t slow_launch_every = 0;  // every Nth launch is made by npu_sim_slow_launch
  uint32_t slow_launch_us = 2000;  // host time of one slow launch
  bool bind_context = false;  // threads bind with aclrtSetCurrentContext (torch_npu)
  bool format_cast = false;   // aclnnNpuFormatCastCalculateSizeAndFormat once per step
  bool graph_update = false;  // the captured first launch is a task group updated per step
  StepCopy step_copy = StepCopy::None;
  bool alloc_cfg = false;  // aclrtMallocWithCfg / aclrtMallocHostWithCfg
  std::string app_aclprof;  // non-empty: the application's own aclprofInit(app_aclprof)
  bool dlopen_mspti = false;  // the application dlopens libmspti.so ...
  uint32_t dlopen_mspti_step = 0;  // ... after aclInit (0) or before step N on the first device
  std::string report;
  // Collectives (mock libhccl): N rank processes, this one is rank hccl_rank on device
  // hccl_rank; rank 0 starts the others with --hccl-rank R --hccl-root HEX (its root info).
  uint32_t hccl_ranks = 0;     // 0 = no collectives
  uint32_t hccl_rank = 0;
  std::string hccl_root;       // hex of HcclRootInfo (ranks > 0)
  uint32_t moe_layers = 0;     // all-to-all-v dispatch + combine per MoE layer per step
  uint32_t tp_allreduce = 0;   // all-reduces per step (one per TP layer)
  bool hccl_every_op = false;  // one call of every other collective per step
  bool hccl_dlsym = false;     // --hccl-binding dlsym: dlopen(libhccl.so) + dlsym(handle)
  bool hccl_init_config = false;  // --hccl-init config: HcclCommInitRootInfoConfig
  uint32_t hccl_tokens = 1024; // elements per call (per peer for the all-to-alls)
};

// Parses argv; on a usage error prints the reason and usage to stderr and returns false.
bool parse_options(int argc, char **argv, Options *out);

const char *to_string(Binding b);
const char *to_string(SyncKind s);
const char *to_string(LaunchApi a);
const char *to_string(StepCopy c);
// The contract's api label of a step's wait ("memcpy" for both copy waits, ...).
const char *sync_label(SyncKind s);

}  // namespace npusim
