#include "npuprobe/config/config.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

#include "checks.h"
#include "npuprobe/base/checked_file.h"
#include "npuprobe/config/environment_values.h"
#include "npuprobe/config/loaders.h"
#include "npuprobe/base/metric_name.h"

namespace npuprobe::config {

const char *const kEnvironmentNames[] = {
    "NPUPROBE_CONFIG",       "SERVICE_PROF_CONFIG_PATH", "NPUPROBE_STORE_FORMAT",
    "NPUPROBE_FLUSH_MS",     "NPUPROBE_LISTEN",          "NPUPROBE_LOG_LEVEL",
    "NPUPROBE_DISABLE",      "PROMETHEUS_MULTIPROC_DIR", "VLLM_DP_RANK",
    "NPUPROBE_OP_LABEL",     "HOME",                     "NPUPROBE_ATTRIBUTION",
};
const std::size_t kEnvironmentNameCount = sizeof(kEnvironmentNames) / sizeof(kEnvironmentNames[0]);

const std::string *Environment::get(std::string_view name) const {
  const auto it = vars.find(std::string(name));
  if (it == vars.end() || it->second.empty()) return nullptr;
  return &it->second;
}

Environment Environment::from_process() {
  Environment environment;
  for (std::size_t i = 0; i < kEnvironmentNameCount; ++i) {
    if (const char *value = std::getenv(kEnvironmentNames[i])) {
      environment.vars[kEnvironmentNames[i]] = value;
    }
  }
  return environment;
}

const char *to_string(TaskTimeMode mode) {
  switch (mode) {
    case TaskTimeMode::kOff: return "off";
    case TaskTimeMode::kAclprof: return "aclprof";
    case TaskTimeMode::kMspti: return "mspti";
  }
  return "?";
}

const char *to_string(TaskTimeLevel level) { return level == TaskTimeLevel::kL1 ? "L1" : "L0"; }

// The Prometheus name rules (base/metric_name.h): a prefix is valid when it is a valid name itself.
bool valid_metric_prefix(std::string_view prefix) { return base::is_valid_metric_name(prefix); }

bool parse_task_time_level(std::string_view text, TaskTimeLevel *level, int *duration_s) {
  if (text.empty()) {
    *level = TaskTimeLevel::kL0;
    *duration_s = 0;
    return true;
  }
  TaskTimeLevel parsed;
  if (text.substr(0, 2) == "L0") {
    parsed = TaskTimeLevel::kL0;
  } else if (text.substr(0, 2) == "L1") {
    parsed = TaskTimeLevel::kL1;
  } else {
    return false;
  }
  int duration = 0;
  if (text.size() > 2) {
    if (text[2] != ',' && text[2] != ';') return false;
    long long n = 0;
    const std::string_view number = text.substr(3);
    if (number.empty() || number[0] == '+' || number[0] == '-' ||
        !detail::parse_integer(number, &n) || n < 1 || n > 999) {
      return false;
    }
    duration = static_cast<int>(n);
  }
  *level = parsed;
  *duration_s = duration;
  return true;
}

std::vector<std::string> split_filter(std::string_view text) {
  static const std::string_view kFullWidth = "\xEF\xBC\x9B";  // U+FF1B
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    const std::size_t b = current.find_first_not_of(" \t");
    if (b != std::string::npos) {
      const std::size_t e = current.find_last_not_of(" \t");
      out.push_back(current.substr(b, e - b + 1));
    }
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ';') {
      flush();
      ++i;
    } else if (text.substr(i, kFullWidth.size()) == kFullWidth) {
      flush();
      i += kFullWidth.size();
    } else {
      current += text[i++];
    }
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// The environment layer.

void apply_environment(const Environment &environment, Config &config,
                       std::vector<Diagnostic> &messages) {
  const EnvironmentLayer layer = read_environment_layer([&](const char *name) -> const char * {
    const std::string *value = environment.get(name);
    return value != nullptr ? value->c_str() : nullptr;
  });
  if (layer.disabled) config.enabled = !*layer.disabled;
  if (layer.store_dir) config.store.dir = *layer.store_dir;
  if (layer.store_format) config.store.format = *layer.store_format;
  if (layer.flush_interval_ms) config.store.flush_interval_ms = *layer.flush_interval_ms;
  if (layer.listen) config.exposer.listen = *layer.listen;
  if (layer.log_level) config.logging.level = *layer.log_level;
  if (layer.dp) config.dp = *layer.dp;
  if (layer.op_label) config.op_label = *layer.op_label;
  if (layer.attribution) config.attribution.enabled = *layer.attribution;
  messages.insert(messages.end(), layer.problems.begin(), layer.problems.end());
  if (!layer.used.empty()) {
    std::string source = "environment (";
    for (std::size_t i = 0; i < layer.used.size(); ++i) {
      source += (i ? ", " : "") + layer.used[i];
    }
    config.sources.push_back(source + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// File layers.

namespace {

// A configuration file is read without blocking (a FIFO or a device there would hang aclInit
// and `npuprobe check`), only when it is a regular file, and at most kMaxConfigFileBytes. Links
// are followed: a Kubernetes ConfigMap mounts every file as a symbolic link.
constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;

bool read_file(const std::string &path, std::string *out, std::string *error) {
  return base::read_regular_file(path, kMaxConfigFileBytes, out, error);
}

}  // namespace

LayerStatus apply_yaml_file(const std::string &path, Config &config,
                            std::vector<Diagnostic> &messages) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    messages.push_back(Diagnostic{path, 0, "", "cannot read: " + error + "; file ignored"});
    return LayerStatus::kMalformed;
  }
  return apply_yaml_text(text, path, config, messages);
}

LayerStatus apply_service_profiler_json_file(const std::string &path, Config &config,
                                             std::vector<Diagnostic> &messages) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    messages.push_back(Diagnostic{path, 0, "", "cannot read: " + error + "; file ignored"});
    return LayerStatus::kMalformed;
  }
  return apply_service_profiler_json_text(text, path, config, messages);
}

// ---------------------------------------------------------------------------------------------
// load_config / reload.

namespace {

LoadResult load(const Environment &environment, bool *malformed) {
  LoadResult result;
  Config &config = result.config;
  config.sources.push_back("defaults");
  if (const std::string *home = environment.get("HOME")) {
    config.task_time.prof_dir = *home + "/.ms_service_profiler";
  }
  *malformed = false;
  if (const std::string *path = environment.get("SERVICE_PROF_CONFIG_PATH")) {
    if (apply_service_profiler_json_file(*path, config, result.messages) ==
        LayerStatus::kMalformed) {
      *malformed = true;
    } else {
      config.sources.push_back("SERVICE_PROF_CONFIG_PATH=" + *path);
    }
  }
  if (const std::string *path = environment.get("NPUPROBE_CONFIG")) {
    if (apply_yaml_file(*path, config, result.messages) == LayerStatus::kMalformed) {
      *malformed = true;
    } else {
      config.sources.push_back("NPUPROBE_CONFIG=" + *path);
    }
  }
  apply_environment(environment, config, result.messages);
  return result;
}

}  // namespace

LoadResult load_config(const Environment &environment) {
  try {
    bool malformed = false;
    LoadResult result = load(environment, &malformed);
    result.config.generation = 1;
    return result;
  } catch (...) {
    // Only std::bad_alloc can get here; the loaders catch their own exceptions.
    LoadResult result;
    result.config.generation = 1;
    result.config.sources.push_back("defaults");
    result.messages.push_back(Diagnostic{"npuprobe", 0, "", "configuration could not be "
                                                            "loaded (out of memory); defaults"});
    return result;
  }
}

LoadResult reload(const Config &last_good, const Environment &environment) {
  try {
    bool malformed = false;
    LoadResult result = load(environment, &malformed);
    if (malformed) {
      result.config = last_good;
      result.kept_last_good = true;
      return result;
    }
    result.config.generation = last_good.generation + 1;
    return result;
  } catch (...) {
    LoadResult result;
    result.config = last_good;
    result.kept_last_good = true;
    result.messages.push_back(Diagnostic{"npuprobe", 0, "", "configuration could not be "
                                                            "reloaded (out of memory); kept the "
                                                            "last good one"});
    return result;
  }
}

}  // namespace npuprobe::config
