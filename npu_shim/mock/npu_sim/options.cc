#include "npu_sim/options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace npusim {
namespace {

const char kUsage[] =
    "usage: npu-sim --steps N --launches K [--device-us D] [--host-gap-us G] [--launch-host-us L]\n"
    "               [--binding linked|dlsym|opapi|opapi-per-op]\n"
    "               [--launch-api aclnn|aclop|kernel|mixed|rt|aicpu]\n"
    "               [--task-queue] [--task-queue-level 0|1|2] [--graph [--graph-update]]\n"
    "               [--devices LIST] [--alloc-bytes B] [--expandable] [--alloc-cfg]\n"
    "               [--sync stream|device|event|memcpy|conditional|batch|event-timeout|\n"
    "                       stream-timeout|graph] [--step-copy conditional|batch]\n"
    "               [--async-sched] [--bind-context] [--format-cast] [--report FILE]\n"
    "               [--stray-sync-every N] [--slow-launch-every N [--slow-launch-us U]]\n"
    "  --ops N                launch i of a step runs aclnnSimOp<i mod N> of the mock libopapi\n"
    "                         (N <= 3000 distinct ops; needs --binding opapi-per-op)\n"
    "  --binding opapi-per-op every aclnn stage is dlsym'ed from libopapi right before its call\n"
    "  --task-queue-level 2   the aclnn first stages run on the task-queue thread too\n"
    "  --bind-context         threads bind the main thread's context (aclrtSetCurrentContext);\n"
    "                         without --task-queue the main thread uses aclrtCreateContext\n"
    "  --format-cast          aclnnNpuFormatCastCalculateSizeAndFormat once per step\n"
    "                         (aclnnReselectStaticKernel once at setup)\n"
    "  --graph-update         the capture puts the first launch in a task group; every step\n"
    "                         updates it (aclmdlRICaptureTaskUpdateBegin, 1 launch, ...End)\n"
    "  --step-copy K          one asynchronous D2H copy per step into pinned memory\n"
    "  --alloc-cfg            aclrtMallocWithCfg / aclrtMallocHostWithCfg for the buffers\n"
    "  --app-aclprof DIR      the application profiles too, as torch_npu's profiler does:\n"
    "                         aclprofInit(DIR) after aclInit, aclprofFinalize before aclFinalize\n"
    "  --dlopen-mspti N       dlopen(\"libmspti.so\", RTLD_NOW | RTLD_LOCAL): with N = 0 right\n"
    "                         after aclInit, else on the first device's thread before step N\n"
    "  --stray-sync-every N   after every Nth launch, an extra aclrtSynchronizeStream made by\n"
    "                         npu_sim_stray_sync (libnpusim-helper.so); reported as syncs.stray_stream\n"
    "  --slow-launch-every N  every Nth launch is made by npu_sim_slow_launch, and that launch\n"
    "  --slow-launch-us U     call spends U us more host time inside the runtime (default 2000);\n"
    "                         reported as slow_launches\n"
    "  --hccl-ranks N         N rank processes (1..8) joined by HcclCommInitRootInfo; rank R runs\n"
    "                         device R and writes its report to FILE.rank<R> (rank 0: FILE)\n"
    "  --tp-allreduce K       K HcclAllReduce per step        (needs --hccl-ranks)\n"
    "  --moe-layers L         2 HcclAlltoAllV per MoE layer per step (dispatch, combine)\n"
    "  --hccl-every-op        one call of every other collective per step\n"
    "  --hccl-binding B       linked (default) or dlsym: dlopen(libhccl.so) + dlsym(handle)\n"
    "  --hccl-init config     HcclCommInitRootInfoConfig (torch_npu's choice when it exists)\n"
    "  --hccl-tokens T        elements per collective (per peer for all-to-all), default 1024\n"
    "  Launches are counted per device, graph replays included, captured launches not. Both run\n"
    "  on the thread that makes the launch: the task-queue thread with --task-queue.\n";

bool parse_u64(const char *s, uint64_t *out) {
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  char *end = nullptr;
  *out = strtoull(s, &end, 10);
  return *end == '\0';
}

bool parse_u32(const char *s, uint32_t *out) {
  uint64_t v = 0;
  if (!parse_u64(s, &v) || v > UINT32_MAX) return false;
  *out = uint32_t(v);
  return true;
}

bool parse_devices(const char *s, std::vector<int> *out) {
  out->clear();
  std::stringstream in(s ? s : "");
  std::string item;
  while (std::getline(in, item, ',')) {
    uint32_t d = 0;
    if (!parse_u32(item.c_str(), &d) || d > 63) return false;
    out->push_back(int(d));
  }
  return !out->empty();
}

}  // namespace

bool parse_options(int argc, char **argv, Options *o) {
  bool task_queue_flag = false;
  int64_t task_queue_level = -1;  // -1: not given
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = true, takes_value = true;
    if (a == "--steps") ok = parse_u32(v, &o->steps);
    else if (a == "--launches") ok = parse_u32(v, &o->launches);
    else if (a == "--ops") ok = parse_u32(v, &o->ops) && o->ops <= 3000;
    else if (a == "--device-us") ok = parse_u32(v, &o->device_us);
    else if (a == "--host-gap-us") ok = parse_u32(v, &o->host_gap_us);
    else if (a == "--launch-host-us") ok = parse_u32(v, &o->launch_host_us);
    else if (a == "--stray-sync-every") ok = parse_u32(v, &o->stray_sync_every);
    else if (a == "--slow-launch-every") ok = parse_u32(v, &o->slow_launch_every);
    else if (a == "--slow-launch-us") ok = parse_u32(v, &o->slow_launch_us);
    else if (a == "--app-aclprof") ok = v != nullptr && v[0] != '\0', o->app_aclprof = v ? v : "";
    else if (a == "--dlopen-mspti") ok = parse_u32(v, &o->dlopen_mspti_step), o->dlopen_mspti = ok;
    else if (a == "--alloc-bytes") ok = parse_u64(v, &o->alloc_bytes);
    else if (a == "--devices") ok = parse_devices(v, &o->devices);
    else if (a == "--hccl-ranks") ok = parse_u32(v, &o->hccl_ranks) && o->hccl_ranks >= 1 && o->hccl_ranks <= 8;
    else if (a == "--hccl-rank") ok = parse_u32(v, &o->hccl_rank);
    else if (a == "--hccl-root") ok = v != nullptr, o->hccl_root = v ? v : "";
    else if (a == "--moe-layers") ok = parse_u32(v, &o->moe_layers);
    else if (a == "--tp-allreduce") ok = parse_u32(v, &o->tp_allreduce);
    else if (a == "--hccl-tokens") ok = parse_u32(v, &o->hccl_tokens) && o->hccl_tokens >= 1;
    else if (a == "--hccl-init") {
      const std::string s = v ? v : "";
      ok = s == "plain" || s == "config";
      o->hccl_init_config = s == "config";
    }
    else if (a == "--hccl-binding") {
      const std::string s = v ? v : "";
      ok = s == "linked" || s == "dlsym";
      o->hccl_dlsym = s == "dlsym";
    }
    else if (a == "--report") ok = v != nullptr, o->report = v ? v : "";
    else if (a == "--task-queue-level") {
      uint32_t level = 0;
      ok = parse_u32(v, &level) && level <= 2;
      task_queue_level = level;
    } else if (a == "--binding") {
      const std::string s = v ? v : "";
      ok = s == "linked" || s == "dlsym" || s == "opapi" || s == "opapi-per-op";
      o->binding = s == "dlsym"          ? Binding::Dlsym
                   : s == "opapi"        ? Binding::Opapi
                   : s == "opapi-per-op" ? Binding::OpapiPerOp
                                         : Binding::Linked;
    } else if (a == "--launch-api") {
      const std::string s = v ? v : "";
      ok = s == "aclnn" || s == "aclop" || s == "kernel" || s == "mixed" || s == "rt" ||
           s == "aicpu";
      o->launch_api = s == "aclop"    ? LaunchApi::Aclop
                      : s == "kernel" ? LaunchApi::Kernel
                      : s == "mixed"  ? LaunchApi::Mixed
                      : s == "rt"     ? LaunchApi::Rt
                      : s == "aicpu"  ? LaunchApi::Aicpu
                                      : LaunchApi::Aclnn;
    } else if (a == "--sync") {
      const std::string s = v ? v : "";
      ok = false;
      for (SyncKind k : {SyncKind::Stream, SyncKind::Device, SyncKind::Event, SyncKind::Memcpy,
                         SyncKind::Conditional, SyncKind::Batch, SyncKind::EventTimeout,
                         SyncKind::StreamTimeout, SyncKind::Graph}) {
        if (s == to_string(k)) ok = true, o->sync = k;
      }
    } else if (a == "--step-copy") {
      const std::string s = v ? v : "";
      ok = s == "conditional" || s == "batch";
      o->step_copy = s == "conditional" ? StepCopy::Conditional : StepCopy::Batch;
    } else {
      takes_value = false;
      if (a == "--task-queue") task_queue_flag = true;
      else if (a == "--graph") o->graph = true;
      else if (a == "--graph-update") o->graph_update = true;
      else if (a == "--expandable") o->expandable = true;
      else if (a == "--alloc-cfg") o->alloc_cfg = true;
      else if (a == "--async-sched") o->async_sched = true;
      else if (a == "--bind-context") o->bind_context = true;
      else if (a == "--format-cast") o->format_cast = true;
      else if (a == "--hccl-every-op") o->hccl_every_op = true;
      else if (a == "--help" || a == "-h") {
        fputs(kUsage, stdout);
        exit(0);
      } else {
        fprintf(stderr, "npu-sim: unknown option '%s'\n%s", a.c_str(), kUsage);
        return false;
      }
    }
    if (!ok) {
      fprintf(stderr, "npu-sim: bad value for %s: '%s'\n%s", a.c_str(), v ? v : "", kUsage);
      return false;
    }
    if (takes_value) ++i;
  }
  // --task-queue is level 1; --task-queue-level picks the level (0 = no queue).
  o->task_queue_level = task_queue_level >= 0 ? uint32_t(task_queue_level) : (task_queue_flag ? 1u : 0u);
  o->task_queue = o->task_queue_level >= 1;
  if (o->async_sched) o->sync = SyncKind::Event;  // async scheduling waits on events
  if (o->launches == 0) {
    fprintf(stderr, "npu-sim: --launches must be at least 1\n");
    return false;
  }
  if (o->ops > 0 && (o->binding != Binding::OpapiPerOp || o->launch_api != LaunchApi::Aclnn)) {
    // The sim ops are found by name at every call, as op-plugin finds every op.
    fprintf(stderr, "npu-sim: --ops needs --binding opapi-per-op and --launch-api aclnn\n");
    return false;
  }
  if ((o->graph_update || o->sync == SyncKind::Graph) && !o->graph) {
    fprintf(stderr, "npu-sim: %s needs --graph\n", o->graph_update ? "--graph-update" : "--sync graph");
    return false;
  }
  if (o->graph_update && o->launch_api == LaunchApi::Aicpu) {
    // Only Cube/Vector tasks can be in a task group (the runtime refuses AI-CPU ones).
    fprintf(stderr, "npu-sim: --graph-update needs an AI-Core launch api, not aicpu\n");
    return false;
  }
  if (o->hccl_ranks == 0 && (o->moe_layers > 0 || o->tp_allreduce > 0 || o->hccl_every_op)) {
    fprintf(stderr, "npu-sim: --moe-layers, --tp-allreduce and --hccl-every-op need --hccl-ranks\n");
    return false;
  }
  if (o->hccl_ranks > 0) {
    if (o->hccl_rank >= o->hccl_ranks || (o->hccl_rank > 0 && o->hccl_root.empty())) {
      fprintf(stderr, "npu-sim: --hccl-rank must be below --hccl-ranks, with --hccl-root\n");
      return false;
    }
    if (o->devices.size() != 1) {
      fprintf(stderr, "npu-sim: --hccl-ranks runs one device per rank (no --devices list)\n");
      return false;
    }
    o->devices = {int(o->hccl_rank)};  // rank R runs device R
  }
  return true;
}

const char *to_string(Binding b) {
  switch (b) {
    case Binding::Dlsym: return "dlsym";
    case Binding::Opapi: return "opapi";
    case Binding::OpapiPerOp: return "opapi-per-op";
    case Binding::Linked: break;
  }
  return "linked";
}
const char *to_string(SyncKind s) {
  switch (s) {
    case SyncKind::Device: return "device";
    case SyncKind::Event: return "event";
    case SyncKind::Memcpy: return "memcpy";
    case SyncKind::Conditional: return "conditional";
    case SyncKind::Batch: return "batch";
    case SyncKind::EventTimeout: return "event-timeout";
    case SyncKind::StreamTimeout: return "stream-timeout";
    case SyncKind::Graph: return "graph";
    case SyncKind::Stream: break;
  }
  return "stream";
}
const char *sync_label(SyncKind s) {
  switch (s) {
    case SyncKind::Conditional:
    case SyncKind::Batch: return "memcpy";
    case SyncKind::EventTimeout: return "event";
    case SyncKind::StreamTimeout: return "stream";
    default: return to_string(s);
  }
}
const char *to_string(LaunchApi a) {
  switch (a) {
    case LaunchApi::Aclop: return "aclop";
    case LaunchApi::Kernel: return "kernel";
    case LaunchApi::Mixed: return "mixed";
    case LaunchApi::Rt: return "rt";
    case LaunchApi::Aicpu: return "aicpu";
    case LaunchApi::Aclnn: break;
  }
  return "aclnn";
}
const char *to_string(StepCopy c) {
  return c == StepCopy::Conditional ? "conditional" : c == StepCopy::Batch ? "batch" : "none";
}

}  // namespace npusim
