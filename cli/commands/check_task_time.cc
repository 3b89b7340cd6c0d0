// `npuprobe check`: whether the runtime will refuse task-time mode 1 (aclprof), and which running
// processes it already refused. The runtime refuses aclprofInit when msprof's command line
// profiles the process (it sets PROFILER_SAMPLECONFIG), in dynamic profiling mode
// (PROFILING_MODE=dynamic), and when someone else (torch_npu's profiler) initialized aclprof
// first; the last one only the process itself can see, and it says so in the registry
// (docs/ascend-stack.md, "aclprof refusals"; `npuprobe status`).
#include <stdlib.h>
#include <string.h>

#include <string>

#include "check_steps.h"
#include "npuprobe/config/process_registry.h"

namespace npuprobe::cli {
namespace {

constexpr const char kRefused[] = "aclprof refused: ";

void check_environment(CheckReport &report) {
  const char *sample = getenv("PROFILER_SAMPLECONFIG");
  if (sample != nullptr && sample[0] != '\0') {
    report.warn("task time", "task_time.mode 1 (aclprof) will be refused: msprof's command line "
                             "profiles the service (PROFILER_SAMPLECONFIG is set), aclprofInit "
                             "returns ACL_ERROR_PROF_ALREADY_RUN");
  }
  const char *mode = getenv("PROFILING_MODE");
  if (mode != nullptr && strcmp(mode, "dynamic") == 0) {
    report.warn("task time", "task_time.mode 1 (aclprof) will be refused: dynamic profiling is "
                             "on (PROFILING_MODE=dynamic), aclprofInit returns "
                             "ACL_ERROR_FEATURE_UNSUPPORTED");
  }
}

void check_registered_processes(CheckReport &report) {
  for (const config::ListedProcess &p :
       config::list_processes(config::registry_dir_from_environment(), false)) {
    const std::string &t = p.status.task_time;
    if (!p.alive || t.compare(0, sizeof kRefused - 1, kRefused) != 0) continue;
    report.warn("task time", "process " + std::to_string(p.status.pid) +
                                 ": task_time.mode 1 (aclprof) was refused by the runtime: " +
                                 t.substr(sizeof kRefused - 1) + " (npuprobe status)");
  }
}

// Mode 2: processes whose MSPTI refused the HCCL kind (kernel records go on; status says
// "mspti on, refused: <reason>").
void check_mspti_refusals(CheckReport &report) {
  static constexpr const char kMsptiRefused[] = ", refused: ";
  for (const config::ListedProcess &p :
       config::list_processes(config::registry_dir_from_environment(), false)) {
    const std::string &t = p.status.task_time;
    const std::size_t at = t.find(kMsptiRefused);
    if (!p.alive || t.compare(0, 5, "mspti") != 0 || at == std::string::npos) continue;
    report.warn("task time", "process " + std::to_string(p.status.pid) +
                                 ": MSPTI refused its HCCL records (no npu:hccl_duration), "
                                 "kernel records go on: " +
                                 t.substr(at + sizeof kMsptiRefused - 1) + " (npuprobe status)");
  }
}

}  // namespace

void check_task_time(CheckReport &report, const CheckInputs &inputs) {
  if (inputs.config.task_time.mode == config::TaskTimeMode::kMspti) check_mspti_refusals(report);
  if (inputs.config.task_time.mode != config::TaskTimeMode::kAclprof) return;
  check_environment(report);
  check_registered_processes(report);
}

}  // namespace npuprobe::cli
