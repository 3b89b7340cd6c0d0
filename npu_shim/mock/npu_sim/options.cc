#include "npu_sim/options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace npusim {
namespace {

const char kUsage[] =
    "usage: npu-sim --steps N --launches K [--device-us D] [--host-gap-us G] [--launch-host-us L]\n"
    "               [--binding linked|dlsym|opapi] [--launch-api aclnn|aclop|kernel|mixed]\n"
    "               [--task-queue] [--graph] [--devices LIST] [--alloc-bytes B] [--expandable]\n"
    "               [--sync stream|device|event|memcpy] [--async-sched] [--report FILE]\n"
    "               [--stray-sync-every N] [--slow-launch-every N [--slow-launch-us U]]\n"
    "  --stray-sync-every N   after every Nth launch, an extra aclrtSynchronizeStream made by\n"
    "                         npu_sim_stray_sync (libnpusim-helper.so); reported as syncs.stray_stream\n"
    "  --slow-launch-every N  every Nth launch is made by npu_sim_slow_launch, and that launch\n"
    "  --slow-launch-us U     call spends U us more host time inside the runtime (default 2000);\n"
    "                         reported as slow_launches\n"
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
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = true, takes_value = true;
    if (a == "--steps") ok = parse_u32(v, &o->steps);
    else if (a == "--launches") ok = parse_u32(v, &o->launches);
    else if (a == "--device-us") ok = parse_u32(v, &o->device_us);
    else if (a == "--host-gap-us") ok = parse_u32(v, &o->host_gap_us);
    else if (a == "--launch-host-us") ok = parse_u32(v, &o->launch_host_us);
    else if (a == "--stray-sync-every") ok = parse_u32(v, &o->stray_sync_every);
    else if (a == "--slow-launch-every") ok = parse_u32(v, &o->slow_launch_every);
    else if (a == "--slow-launch-us") ok = parse_u32(v, &o->slow_launch_us);
    else if (a == "--alloc-bytes") ok = parse_u64(v, &o->alloc_bytes);
    else if (a == "--devices") ok = parse_devices(v, &o->devices);
    else if (a == "--report") ok = v != nullptr, o->report = v ? v : "";
    else if (a == "--binding") {
      const std::string s = v ? v : "";
      ok = s == "linked" || s == "dlsym" || s == "opapi";
      o->binding = s == "dlsym" ? Binding::Dlsym : s == "opapi" ? Binding::Opapi : Binding::Linked;
    } else if (a == "--launch-api") {
      const std::string s = v ? v : "";
      ok = s == "aclnn" || s == "aclop" || s == "kernel" || s == "mixed";
      o->launch_api = s == "aclop"    ? LaunchApi::Aclop
                      : s == "kernel" ? LaunchApi::Kernel
                      : s == "mixed"  ? LaunchApi::Mixed
                                      : LaunchApi::Aclnn;
    } else if (a == "--sync") {
      const std::string s = v ? v : "";
      ok = s == "stream" || s == "device" || s == "event" || s == "memcpy";
      o->sync = s == "device" ? SyncKind::Device
                : s == "event"  ? SyncKind::Event
                : s == "memcpy" ? SyncKind::Memcpy
                                : SyncKind::Stream;
    } else {
      takes_value = false;
      if (a == "--task-queue") o->task_queue = true;
      else if (a == "--graph") o->graph = true;
      else if (a == "--expandable") o->expandable = true;
      else if (a == "--async-sched") o->async_sched = true;
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
  if (o->async_sched) o->sync = SyncKind::Event;  // async scheduling waits on events
  if (o->launches == 0) {
    fprintf(stderr, "npu-sim: --launches must be at least 1\n");
    return false;
  }
  return true;
}

const char *to_string(Binding b) {
  return b == Binding::Dlsym ? "dlsym" : b == Binding::Opapi ? "opapi" : "linked";
}
const char *to_string(SyncKind s) {
  return s == SyncKind::Device ? "device"
         : s == SyncKind::Event ? "event"
         : s == SyncKind::Memcpy ? "memcpy"
                                 : "stream";
}
const char *to_string(LaunchApi a) {
  return a == LaunchApi::Aclop ? "aclop"
         : a == LaunchApi::Kernel ? "kernel"
         : a == LaunchApi::Mixed ? "mixed"
                                 : "aclnn";
}

}  // namespace npusim
