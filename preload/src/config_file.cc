#include "config_file.h"

#include <cstdlib>

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

bool load_config_file(const config::Config *last_good, config::LoadResult *result) noexcept {
  LoadFn load = plugin_loader();
  if (load == nullptr) return false;
  load(last_good, result);
  return true;
}

void log_config_messages(const config::LoadResult &result) {
  config::log_problems(result.messages);
}

void apply_config(const config::Config &c, Settings *s) {
  s->metric_prefix = c.metric_prefix;
  s->directory = c.store.dir;
  s->format = c.store.format;
  s->flush_interval = std::chrono::milliseconds(c.store.flush_interval_ms);
  s->listen = c.exposer.listen;
  s->log_level = c.logging.level;
  s->log_file = c.logging.file;
  s->op_label = c.op_label;
  s->min_launches_per_step = static_cast<std::uint32_t>(c.phases.min_launches_per_step);
  s->start_on = c.enabled;
  s->memory_sample_hz = c.memory.sample_hz;
  s->task_time = c.task_time;
  s->attribution = c.attribution;
  s->labels = c.labels;
  s->buckets = c.buckets;
  if (!c.dp.empty()) s->dp = c.dp;
}

}  // namespace npuprobe::preload
