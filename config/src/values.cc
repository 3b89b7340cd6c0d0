// The value readers the key table (keys.cc) and the layers share, and the environment as a
// layer: in npuprobe_control (no yaml-cpp), so that the preload applies the environment with the
// very code the loader uses.
#include <cstdlib>

#include "checks.h"
#include "npuprobe/config/environment_values.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/config/loaders.h"
#include "npuprobe/base/metric_name.h"

namespace npuprobe::config {

const std::string *Environment::get(std::string_view name) const {
  const auto it = vars.find(std::string(name));
  if (it == vars.end() || it->second.empty()) return nullptr;
  return &it->second;
}

Environment Environment::from_process() {
  Environment environment;
  for (const std::string &name : environment_variable_names()) {
    if (const char *value = std::getenv(name.c_str())) environment.vars[name] = value;
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

// The Prometheus name rules are the store's: a prefix is valid when it is a valid name itself.
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

void apply_environment(const Environment &environment, Config &config,
                       std::vector<Diagnostic> &messages) {
  const EnvironmentValues values =
      apply_environment_values([&](const char *name) -> const char * {
        const std::string *value = environment.get(name);
        return value != nullptr ? value->c_str() : nullptr;
      }, config);
  messages.insert(messages.end(), values.problems.begin(), values.problems.end());
  if (!values.used.empty()) {
    std::string source = "environment (";
    for (std::size_t i = 0; i < values.used.size(); ++i) {
      source += (i ? ", " : "") + values.used[i];
    }
    config.sources.push_back(source + ")");
  }
}

Config defaults(const Environment &environment) {
  Config config;
  config.sources.push_back("defaults");
  if (const std::string *home = environment.get("HOME")) {
    config.task_time.prof_dir = *home + "/.ms_service_profiler";
  }
  return config;
}

LoadResult load_environment_only(const Environment &environment) {
  LoadResult result;
  result.config = defaults(environment);
  apply_environment(environment, result.config, result.messages);
  result.config.generation = 1;
  return result;
}

}  // namespace npuprobe::config
