#include "config_snapshot.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "npuprobe/config/environment_values.h"
#include "npuprobe/config/process_identity.h"
#include "npuprobe/config/process_registry.h"
#include "npuprobe/base/log.h"
#include "npuprobe/base/plugin_loader.h"
#include "real_dlsym.h"

namespace npuprobe::preload {
namespace {

using LoadFn = void (*)(const config::Config *, config::LoadResult *);

LoadFn plugin_loader() {
  static LoadFn loader = [] () -> LoadFn {
    void *load = nullptr;
    const base::PluginSymbol symbols[] = {{"npuprobe_config_load", &load}};
    if (!base::load_plugin("libnpuprobe-config.so", &lookup_symbol, symbols, 1,
                           "configuration file ignored")) {
      return nullptr;
    }
    return reinterpret_cast<LoadFn>(load);
  }();
  return loader;
}

bool named(const char *variable) {
  const char *v = std::getenv(variable);
  return v != nullptr && v[0] != '\0';
}

}  // namespace

bool config_file_named() noexcept {
  return named("NPUPROBE_CONFIG") || named("SERVICE_PROF_CONFIG_PATH");
}

config::LoadResult load_snapshot(const config::Config *last_good) {
  config::LoadResult from_environment =
      config::load_environment_only(config::Environment::from_process());
  if (last_good != nullptr) from_environment.config.generation = last_good->generation + 1;
  if (!config_file_named()) return from_environment;
  // At start, what loading the plugin may say is said at the environment's level (the file's
  // is not known yet); at a reload, at the level in force.
  if (last_good == nullptr) base::set_log_level(from_environment.config.logging.level);
  LoadFn load = plugin_loader();
  if (load == nullptr) return from_environment;
  config::LoadResult result;
  load(last_good, &result);
  return result;
}

std::string resolve_dp(const config::Config &config) {
  if (!config.dp.empty()) return config.dp;
  return config::dp_from_title(config::own_title()).value_or("0");
}

bool disabled_by_environment() noexcept {
  return config::disabled_by(std::getenv("NPUPROBE_DISABLE"));
}

}  // namespace npuprobe::preload
