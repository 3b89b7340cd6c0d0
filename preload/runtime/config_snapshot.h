// This process's configuration: one immutable snapshot (config::Config, generation-stamped),
// built at start and again on `npuprobe restart`. When NPUPROBE_CONFIG or
// SERVICE_PROF_CONFIG_PATH names a file, libnpuprobe-config.so (which carries yaml-cpp, so that
// libnpuprobe.so does not) loads it; otherwise the snapshot is the environment and the defaults,
// applied by the very code the plugin uses (config::load_environment_only), so that a variable
// means the same whether or not a file is named. Cold: start-up and restart.
#pragma once

#include <string>

#include "npuprobe/config/config.h"

namespace npuprobe::preload {

bool config_file_named() noexcept;

// A first load (last_good null) or a reload. Without a file, or when the plugin cannot be
// loaded (said once), the environment and the defaults. Nothing is logged here: the log file
// itself comes from the snapshot, so the caller installs it first and then logs the messages.
config::LoadResult load_snapshot(const config::Config *last_good);

// The `dp` label: the snapshot's `dp` (the key, or VLLM_DP_RANK), else `DP<n>` in the process
// name as ms_service_metric reads it (vLLM's `EngineCore_DP<n>`), else "0".
std::string resolve_dp(const config::Config &config);

// NPUPROBE_DISABLE as config::disabled_by reads it (without allocating; safe inside dlsym).
bool disabled_by_environment() noexcept;

}  // namespace npuprobe::preload
