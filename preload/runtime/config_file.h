// The YAML / msserviceprofiler JSON configuration, loaded through libnpuprobe-config.so (which
// carries yaml-cpp, so that libnpuprobe.so does not) when NPUPROBE_CONFIG or
// SERVICE_PROF_CONFIG_PATH names a file. Cold: start-up and `npuprobe restart`.
#pragma once

#include "npuprobe/config/config.h"
#include "settings.h"

namespace npuprobe::preload {

bool config_file_named() noexcept;

// First load (last_good null) or reload. False when the plugin cannot be loaded (logged once).
bool load_config_file(const config::Config *last_good, config::LoadResult *result) noexcept;
// Logs the diagnostics of a load as `npuprobe check` words them (config::log_problems: the
// first few, then how many more). Separate from loading because the log file itself comes from
// the configuration: the caller installs it first.
void log_config_messages(const config::LoadResult &result);

// What the snapshot decides for this process (the environment already took precedence inside
// the loader).
void apply_config(const config::Config &config, Settings *settings);

}  // namespace npuprobe::preload
