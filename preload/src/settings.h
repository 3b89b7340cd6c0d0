// The environment npuprobe reads at start (docs/contract.md, "Environment"). The YAML config and
// the runtime switch build on this snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "npuprobe/config/config.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::preload {

struct Settings {
  bool disabled = false;                    // NPUPROBE_DISABLE (a boolean; refused: disabled)
  std::string directory;                    // PROMETHEUS_MULTIPROC_DIR, or "" (embedded)
  store::FormatPreference format = store::FormatPreference::kAuto;  // NPUPROBE_STORE_FORMAT
  std::chrono::milliseconds flush_interval{500};                    // NPUPROBE_FLUSH_MS
  std::string listen = "127.0.0.1:9464";    // NPUPROBE_LISTEN ("off" disables)
  base::LogLevel log_level = base::LogLevel::kInfo;  // NPUPROBE_LOG_LEVEL
  std::string log_file;                     // config logging.file; "" = stderr
  std::string dp = "0";                     // VLLM_DP_RANK, DP(\d+) in the process name, 0
  std::string metric_prefix = "vllm_profiling_";
  bool op_label = false;                    // NPUPROBE_OP_LABEL (a boolean)
  std::uint32_t min_launches_per_step = 1;  // config phases.min_launches_per_step
  bool start_on = true;                     // config `enabled`: the switch's state at start
  int memory_sample_hz = 0;                 // config memory.sample_hz (npu_memory_usage_freq)
  config::TaskTimeConfig task_time;         // config task_time.* (acl_task_time & co)
  config::AttributionConfig attribution;    // config attribution.*, NPUPROBE_ATTRIBUTION
  // Config `labels` and `buckets`: they shape the series, so they stay for the process's life.
  std::map<std::string, std::string> labels;
  std::map<std::string, std::vector<double>> buckets;
  // The refused environment values, said once the log sink is in place (config::log_problems);
  // when a file is named the loader's messages carry the same lines instead.
  std::vector<config::Diagnostic> environment_problems;
};

// Reads the environment (config/environment_values.h). Refused values keep the default and are
// listed in environment_problems; nothing is logged here.
Settings read_settings();

// NPUPROBE_DISABLE as config::disabled_by reads it (without allocating; safe inside dlsym).
bool disabled_by_environment() noexcept;

}  // namespace npuprobe::preload
