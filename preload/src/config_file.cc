#include "config_file.h"

#include <dlfcn.h>

#include <cstdlib>

#include "npuprobe/base/log.h"
#include "real_dlsym.h"
#include "sibling_library.h"

namespace npuprobe::preload {
namespace {

using base::log_message;
using base::LogLevel;
using LoadFn = void (*)(const config::Config *, config::LoadResult *);

LoadFn plugin_loader() {
  static LoadFn loader = [] () -> LoadFn {
    const std::string path = sibling_library_path("libnpuprobe-config.so");
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      log_message(LogLevel::kWarn, "configuration file ignored: %s", dlerror());
      return nullptr;
    }
    auto fn = reinterpret_cast<LoadFn>(lookup_symbol(handle, "npuprobe_config_load"));
    if (fn == nullptr) log_message(LogLevel::kWarn, "%s lacks npuprobe_config_load", path.c_str());
    return fn;
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
