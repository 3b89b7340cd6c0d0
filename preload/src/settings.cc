#include "settings.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>

#include "npuprobe/config/process_registry.h"

namespace npuprobe::preload {
namespace {

using store::log_message;
using store::LogLevel;

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
  const char *value = std::getenv("NPUPROBE_DISABLE");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

Settings read_settings() {
  Settings s;
  s.disabled = disabled_by_environment();
  if (const char *level = env("NPUPROBE_LOG_LEVEL")) {
    if (!store::parse_log_level(level, &s.log_level)) {
      log_message(LogLevel::kWarn, "NPUPROBE_LOG_LEVEL=%s is not trace..off; using info", level);
    }
  }
  if (const char *dir = env("PROMETHEUS_MULTIPROC_DIR")) s.directory = dir;
  if (const char *format = env("NPUPROBE_STORE_FORMAT")) {
    if (auto parsed = store::parse_format_preference(format)) {
      s.format = *parsed;
    } else {
      log_message(LogLevel::kWarn, "NPUPROBE_STORE_FORMAT=%s is not v1, v2 or auto; using auto",
                  format);
    }
  }
  if (const char *ms = env("NPUPROBE_FLUSH_MS")) {
    char *end = nullptr;
    const long value = std::strtol(ms, &end, 10);
    if (end != nullptr && *end == '\0' && value >= 10 && value <= 600000) {
      s.flush_interval = std::chrono::milliseconds(value);
    } else {
      log_message(LogLevel::kWarn, "NPUPROBE_FLUSH_MS=%s is not 10..600000; using 500", ms);
    }
  }
  if (const char *listen = env("NPUPROBE_LISTEN")) s.listen = listen;
  if (const char *op = env("NPUPROBE_OP_LABEL")) s.op_label = std::strcmp(op, "1") == 0;
  if (const char *a = env("NPUPROBE_ATTRIBUTION")) {
    if (std::strcmp(a, "0") == 0 || std::strcmp(a, "1") == 0) {
      s.attribution.enabled = a[0] == '1';
    } else {
      log_message(LogLevel::kWarn, "NPUPROBE_ATTRIBUTION=%s is not 0 or 1; attribution stays on",
                  a);
    }
  }
  s.dp = dp_label();
  return s;
}

}  // namespace npuprobe::preload
