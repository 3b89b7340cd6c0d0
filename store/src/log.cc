#include "npuprobe/store/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace npuprobe::store {
namespace {

void stderr_sink(LogLevel level, const char *message) {
  // note: one fprintf call per line so that lines of concurrent processes do not interleave.
  std::fprintf(stderr, "npuprobe: %s: %s\n", to_string(level), message);
}

std::atomic<LogSink> g_sink{&stderr_sink};
std::atomic<LogLevel> g_level{LogLevel::kInfo};

}  // namespace

void set_log_sink(LogSink sink) {
  g_sink.store(sink ? sink : &stderr_sink);
}
void set_log_level(LogLevel level) {
  g_level.store(level);
}
LogLevel log_level() {
  return g_level.load(std::memory_order_relaxed);
}

void log_message(LogLevel level, const char *format, ...) {
  if (level < log_level() || level == LogLevel::kOff) return;
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  g_sink.load()(level, buffer);
}

const char *to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

bool parse_log_level(std::string_view text, LogLevel *out) {
  static const struct {
    const char *name;
    LogLevel level;
  } kLevels[] = {{"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},
                 {"info", LogLevel::kInfo},   {"warn", LogLevel::kWarn},
                 {"warning", LogLevel::kWarn}, {"error", LogLevel::kError},
                 {"off", LogLevel::kOff}};
  for (const auto &l : kLevels) {
    if (text == l.name) {
      *out = l.level;
      return true;
    }
  }
  return false;
}

}  // namespace npuprobe::store
