#include "settings.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>

#include "npuprobe/config/environment_values.h"
#include "npuprobe/config/process_registry.h"

namespace npuprobe::preload {
namespace {

const char *env(const char *name) {
  const char *value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

// The process name as ms_service_metric sees it: the command line, arguments joined.
std::string process_name() {
  const std::string all = config::process_command(static_cast<int>(::getpid()));
  std::ifstream comm("/proc/self/comm");
  std::string short_name;
  std::getline(comm, short_name);
  return short_name + " " + all;
}

std::string dp_label() {
  if (const char *rank = env("VLLM_DP_RANK")) return rank;
  std::smatch match;
  const std::string name = process_name();
  static const std::regex kDp("DP(\\d+)");
  if (std::regex_search(name, match, kDp)) return match[1].str();
  return "0";
}

}  // namespace

bool disabled_by_environment() noexcept {
  return config::disabled_by(std::getenv("NPUPROBE_DISABLE"));
}

Settings read_settings() {
  Settings s;
  // The same parsers as the configuration loader's environment layer (and `npuprobe check`):
  // the same values accepted, the same line for a refused one.
  const config::EnvironmentLayer layer =
      config::read_environment_layer([](const char *name) { return std::getenv(name); });
  s.disabled = layer.disabled.value_or(false);
  if (layer.log_level) s.log_level = *layer.log_level;
  if (layer.store_dir) s.directory = *layer.store_dir;
  if (layer.store_format) s.format = *layer.store_format;
  if (layer.flush_interval_ms) {
    s.flush_interval = std::chrono::milliseconds(*layer.flush_interval_ms);
  }
  if (layer.listen) s.listen = *layer.listen;
  if (layer.op_label) s.op_label = *layer.op_label;
  if (layer.attribution) s.attribution.enabled = *layer.attribution;
  s.environment_problems = layer.problems;
  s.dp = dp_label();
  return s;
}

}  // namespace npuprobe::preload
