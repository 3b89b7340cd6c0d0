// The layers of load_config() one by one, for tests and the fuzz targets. Each applies the keys
// it finds onto `config` (valid values only) and appends its messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/config/config.h"

namespace npuprobe::config {

enum class LayerStatus {
  kApplied,    // parsed; valid keys applied (there may be messages about single keys)
  kMalformed,  // unreadable or not parseable: nothing applied
};

// The YAML layer from text. `file` names the file in messages.
LayerStatus apply_yaml_text(std::string_view text, const std::string &file, Config &config,
                            std::vector<Diagnostic> &messages);
// The msserviceprofiler JSON layer from text.
LayerStatus apply_service_profiler_json_text(std::string_view text, const std::string &file,
                                             Config &config, std::vector<Diagnostic> &messages);
// The same, reading `path` first (unreadable = kMalformed with a message).
LayerStatus apply_yaml_file(const std::string &path, Config &config,
                            std::vector<Diagnostic> &messages);
LayerStatus apply_service_profiler_json_file(const std::string &path, Config &config,
                                             std::vector<Diagnostic> &messages);
// The defaults, with task_time.prof_dir under $HOME; sources = {"defaults"}.
Config defaults(const Environment &environment);
// The environment layer (always applies).
void apply_environment(const Environment &environment, Config &config,
                       std::vector<Diagnostic> &messages);

// Validation helpers shared by the layers.
// Metric and label names themselves: base/metric_name.h.
bool valid_metric_prefix(std::string_view prefix);
// "L0" | "L1", optionally followed by ",N" or ";N" with N in 1..999. "" = L0 until the end.
bool parse_task_time_level(std::string_view text, TaskTimeLevel *level, int *duration_s);
// Splits a ';'-separated filter (the full-width '；' too); empty parts dropped, spaces trimmed.
std::vector<std::string> split_filter(std::string_view text);

}  // namespace npuprobe::config
