// The environment layer (docs/config.md, "Precedence"): the variables of the key table
// (keys.h), read by one function shared by the configuration loader (`npuprobe check`,
// libnpuprobe-config.so) and the preload, which loads without the plugin when no file is named.
// Sharing it is what makes both accept the same values and refuse a bad one with the same line:
// "environment: <NAME>: <why>; <what is done instead>".
//
// In npuprobe_control (no yaml-cpp): libnpuprobe.so links it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npuprobe/config/config.h"

namespace npuprobe::config {

// The value of a variable, or nullptr when unset. Empty values are treated as unset here.
using EnvironmentLookup = std::function<const char *(const char *name)>;

struct EnvironmentValues {
  std::vector<std::string> used;     // the variables whose value was applied, in table order
  std::vector<Diagnostic> problems;  // one per refused value: file "environment", key = name
};

// Applies every variable of the table that is set onto `config`. A refused value leaves the
// key as the lower layers (files, defaults) gave it, except NPUPROBE_DISABLE (disabled_by).
EnvironmentValues apply_environment_values(const EnvironmentLookup &lookup, Config &config);

// NPUPROBE_DISABLE as the preload's dlsym reads it at load (no allocation, no logging): set to
// a true value or to a value that is not a boolean -> disabled; unset, empty or a false value ->
// not disabled. A refused value disables because someone who sets the variable at all means to
// switch npuprobe off, and a disabled npuprobe forwards every call untouched: the safe side.
bool disabled_by(const char *value) noexcept;

}  // namespace npuprobe::config
