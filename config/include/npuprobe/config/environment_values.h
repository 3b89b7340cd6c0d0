// The environment layer (docs/config.md, "Environment"): one parser per variable, shared by the
// configuration loader (`npuprobe check`, libnpuprobe-config.so) and the preload, which reads the
// environment itself when no file is named. Sharing it is what makes both accept the same values
// and refuse a bad one with the same line: "environment: <NAME>: <why>; <what is done instead>".
//
// In npuprobe_control (no yaml-cpp): libnpuprobe.so links it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/config/config.h"

namespace npuprobe::config {

// The accepted values of the variables; unset (or empty) or refused: nullopt, so the layers
// below (the files, then the defaults) keep theirs. A refused value is in `problems`.
struct EnvironmentLayer {
  std::optional<bool> disabled;                         // NPUPROBE_DISABLE
  std::optional<std::string> store_dir;                 // PROMETHEUS_MULTIPROC_DIR
  std::optional<base::FormatPreference> store_format;  // NPUPROBE_STORE_FORMAT
  std::optional<int> flush_interval_ms;                 // NPUPROBE_FLUSH_MS
  std::optional<std::string> listen;                    // NPUPROBE_LISTEN
  std::optional<base::LogLevel> log_level;             // NPUPROBE_LOG_LEVEL
  std::optional<std::string> dp;                        // VLLM_DP_RANK
  std::optional<bool> op_label;                         // NPUPROBE_OP_LABEL
  std::optional<bool> attribution;                      // NPUPROBE_ATTRIBUTION

  std::vector<std::string> used;     // the variables whose value is applied, in reading order
  std::vector<Diagnostic> problems;  // one per refused value: file "environment", key = name
};

// The value of a variable, or nullptr when unset. Empty values are treated as unset here.
using EnvironmentLookup = std::function<const char *(const char *name)>;

EnvironmentLayer read_environment_layer(const EnvironmentLookup &lookup);

// NPUPROBE_DISABLE as the preload's dlsym reads it at load (no allocation, no logging): set to
// a true value or to a value that is not a boolean -> disabled; unset, empty or a false value ->
// not disabled. A refused value disables because someone who sets the variable at all means to
// switch npuprobe off, and a disabled npuprobe forwards every call untouched: the safe side.
bool disabled_by(const char *value) noexcept;

}  // namespace npuprobe::config
