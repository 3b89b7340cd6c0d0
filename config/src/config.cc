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
#include "npuprobe/config/loaders.h"
#include "npuprobe/store/metric_name.h"

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

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += text;
  return out;
}

bool Diagnostic::operator==(const Diagnostic &other) const {
  return file == other.file && line == other.line && key == other.key && text == other.text;
}

std::vector<std::string> LoadResult::message_strings() const {
  std::vector<std::string> out;
  out.reserve(messages.size());
  for (const Diagnostic &d : messages) out.push_back(d.to_string());
  return out;
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

// ---------------------------------------------------------------------------------------------
// Checks.

namespace detail {

const char kLogLevelChoices[] = "trace, debug, info, warn, error, critical, off";
const char kFormatChoices[] = "auto, v1, v2";
const char kReservedLabelList[] =
    "dp, device, api, code, op, reason, type, version, format, mode, le, quantile";

bool is_reserved_label_name(std::string_view name) {
  std::string_view list = kReservedLabelList;
  while (!list.empty()) {
    const std::size_t comma = list.find(", ");
    if (list.substr(0, comma) == name) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
  }
  return false;
}

bool parse_integer(std::string_view text, long long *out) {
  if (text.empty() || text.size() > 40) return false;
  std::size_t i = 0;
  if (text[0] == '+' || text[0] == '-') i = 1;
  if (i == text.size()) return false;
  for (std::size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return false;
  }
  const std::string copy(text);
  errno = 0;
  const long long value = std::strtoll(copy.c_str(), nullptr, 10);
  if (errno != 0) return false;
  *out = value;
  return true;
}

bool parse_number(std::string_view text, double *out) {
  if (text.empty() || text.size() > 100) return false;
  const std::string copy(text);
  if (copy[0] == ' ' || copy[0] == '\t' || copy[0] == '\n') return false;
  // YAML's spellings of infinity and NaN (rejected later as not finite).
  for (const char *inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (copy == inf) {
      *out = HUGE_VAL;
      return true;
    }
  }
  for (const char *inf : {"-.inf", "-.Inf", "-.INF"}) {
    if (copy == inf) {
      *out = -HUGE_VAL;
      return true;
    }
  }
  if (copy == ".nan" || copy == ".NaN" || copy == ".NAN") {
    *out = std::nan("");
    return true;
  }
  // Hex floats are not YAML numbers.
  if (copy.find_first_of("xXpP") != std::string::npos) return false;
  char *end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end == nullptr || *end != '\0') return false;
  *out = value;
  return true;
}

bool parse_bool(std::string_view text, bool *out) {
  std::string lower(text);
  for (char &c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") {
    *out = true;
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") {
    *out = false;
    return true;
  }
  return false;
}

bool valid_listen(std::string_view text) {
  if (text == "off") return true;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  if (std::atoi(std::string(port).c_str()) > 65535) return false;
  if (!host.empty() && host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host) {
    if (c == ':' || c == ' ' || c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string out_of_range(long long value, long long low, long long high) {
  return std::to_string(value) + " is out of range " + std::to_string(low) + ".." +
         std::to_string(high);
}

std::string number_text(double value) {
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string not_one_of(std::string_view value, const char *choices) {
  return quoted(value) + " is not one of " + choices;
}

std::string bad_prefix(std::string_view value) {
  return quoted(value) + " is not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)";
}

std::string bad_listen(std::string_view value) {
  return quoted(value) + " is not host:port (port 0..65535) or off";
}

std::string bad_level(std::string_view value) {
  return quoted(value) + " is not L0 or L1, optionally followed by ,N or ;N (N = 1..999 s)";
}

}  // namespace detail

// The Prometheus name rules are the store's: a prefix is valid when it is a valid name itself.
bool valid_metric_prefix(std::string_view prefix) { return store::is_valid_metric_name(prefix); }

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
  using namespace detail;
  std::vector<std::string> used;
  auto report = [&](const char *name, std::string text) {
    messages.push_back(Diagnostic{"environment", 0, name, std::move(text)});
  };
  if (const std::string *v = environment.get("NPUPROBE_DISABLE")) {
    if (*v == "1" || *v == "0") {
      config.enabled = *v == "0";
      used.push_back("NPUPROBE_DISABLE");
    } else {
      report("NPUPROBE_DISABLE", quoted(*v) + " is not 0 or 1");
    }
  }
  if (const std::string *v = environment.get("PROMETHEUS_MULTIPROC_DIR")) {
    config.store.dir = *v;
    used.push_back("PROMETHEUS_MULTIPROC_DIR");
  }
  if (const std::string *v = environment.get("NPUPROBE_STORE_FORMAT")) {
    if (auto parsed = store::parse_format_preference(*v)) {
      config.store.format = *parsed;
      used.push_back("NPUPROBE_STORE_FORMAT");
    } else {
      report("NPUPROBE_STORE_FORMAT", not_one_of(*v, kFormatChoices));
    }
  }
  if (const std::string *v = environment.get("NPUPROBE_FLUSH_MS")) {
    long long ms = 0;
    if (!parse_integer(*v, &ms)) {
      report("NPUPROBE_FLUSH_MS", "expected an integer, got " + quoted(*v));
    } else if (ms < 10 || ms > 600000) {
      report("NPUPROBE_FLUSH_MS", out_of_range(ms, 10, 600000));
    } else {
      config.store.flush_interval_ms = static_cast<int>(ms);
      used.push_back("NPUPROBE_FLUSH_MS");
    }
  }
  if (const std::string *v = environment.get("NPUPROBE_LISTEN")) {
    if (valid_listen(*v)) {
      config.exposer.listen = *v;
      used.push_back("NPUPROBE_LISTEN");
    } else {
      report("NPUPROBE_LISTEN", bad_listen(*v));
    }
  }
  if (const std::string *v = environment.get("NPUPROBE_LOG_LEVEL")) {
    if (store::parse_log_level(*v, &config.logging.level)) {
      used.push_back("NPUPROBE_LOG_LEVEL");
    } else {
      report("NPUPROBE_LOG_LEVEL", not_one_of(*v, kLogLevelChoices));
    }
  }
  if (const std::string *v = environment.get("VLLM_DP_RANK")) {
    config.dp = *v;
    used.push_back("VLLM_DP_RANK");
  }
  if (const std::string *v = environment.get("NPUPROBE_OP_LABEL")) {
    if (*v == "1" || *v == "0") {
      config.op_label = *v == "1";
      used.push_back("NPUPROBE_OP_LABEL");
    } else {
      report("NPUPROBE_OP_LABEL", quoted(*v) + " is not 0 or 1");
    }
  }
  if (const std::string *v = environment.get("NPUPROBE_ATTRIBUTION")) {
    if (*v == "1" || *v == "0") {
      config.attribution.enabled = *v == "1";
      used.push_back("NPUPROBE_ATTRIBUTION");
    } else {
      report("NPUPROBE_ATTRIBUTION", quoted(*v) + " is not 0 or 1");
    }
  }
  if (!used.empty()) {
    std::string source = "environment (";
    for (std::size_t i = 0; i < used.size(); ++i) source += (i ? ", " : "") + used[i];
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

void log_diagnostics(const LoadResult &result) {
  for (const Diagnostic &d : result.messages) {
    store::log_message(store::LogLevel::kWarn, "config: %s", d.to_string().c_str());
  }
  if (result.kept_last_good) {
    store::log_message(store::LogLevel::kWarn,
                       "config: kept the last good configuration (generation %llu)",
                       static_cast<unsigned long long>(result.config.generation));
  }
}

}  // namespace npuprobe::config
