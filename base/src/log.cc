#include "npuprobe/base/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "npuprobe/base/clock.h"

namespace npuprobe::base {
namespace {

void stderr_sink(LogLevel level, const char *message) {
  // note: one fprintf call per line so that lines of concurrent processes do not interleave.
  std::fprintf(stderr, "npuprobe: %s: %s\n", to_string(level), message);
}

std::atomic<LogSink> g_sink{&stderr_sink};
std::atomic<LogLevel> g_level{LogLevel::kInfo};

// Rate limiting, per call site. The table is fixed (no allocation) and guarded by a try-lock:
// a thread that finds it busy logs its line unlimited rather than wait, so logging never blocks
// on another thread (nor, in a fork child, on a lock a vanished thread held).
struct Site {
  const char *format = nullptr;  // the call site's identity
  std::int64_t window_start_ns = 0;
  int lines = 0;                 // lines written in the current window
  unsigned long long suppressed = 0;
};

constexpr int kSites = 64;
Site g_sites[kSites];
std::atomic_flag g_sites_busy = ATOMIC_FLAG_INIT;
std::atomic<int> g_burst{5};
std::atomic<std::int64_t> g_window_ns{10'000'000'000};

// The clock of the whole library (clock.h), signed for the window arithmetic.
std::int64_t now_signed_ns() {
  return static_cast<std::int64_t>(now_ns());
}

enum class Verdict { kWrite, kSuppress };

// Decides for one line of `format`; *reported is set to the number of lines suppressed in the
// site's window that just ended (to say so with this line).
Verdict rate_limit(const char *format, unsigned long long *reported) {
  *reported = 0;
  const int burst = g_burst.load(std::memory_order_relaxed);
  if (burst <= 0 || g_sites_busy.test_and_set(std::memory_order_acquire)) return Verdict::kWrite;
  const std::int64_t now = now_signed_ns();
  const std::int64_t window = g_window_ns.load(std::memory_order_relaxed);
  Verdict verdict = Verdict::kWrite;
  Site *site = nullptr;
  for (Site &s : g_sites) {
    if (s.format == format || s.format == nullptr) {
      site = &s;
      break;
    }
  }
  if (site != nullptr) {  // a full table leaves further sites unlimited
    if (site->format == nullptr || now - site->window_start_ns >= window) {
      *reported = site->suppressed;
      *site = Site{format, now, 0, 0};
    }
    if (site->lines < burst) {
      ++site->lines;
    } else {
      ++site->suppressed;
      verdict = Verdict::kSuppress;
    }
  }
  g_sites_busy.clear(std::memory_order_release);
  return verdict;
}

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
  unsigned long long suppressed = 0;
  if (level >= LogLevel::kWarn && rate_limit(format, &suppressed) == Verdict::kSuppress) return;
  char buffer[1024];
  va_list args;
  va_start(args, format);
  const int length = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  if (suppressed > 0 && length >= 0 && static_cast<std::size_t>(length) < sizeof buffer) {
    std::snprintf(buffer + length, sizeof buffer - static_cast<std::size_t>(length),
                  " (%llu similar lines suppressed)", suppressed);
  }
  g_sink.load()(level, buffer);
}

void set_log_rate_limit(int burst, std::chrono::milliseconds window) {
  g_burst.store(burst);
  g_window_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(window).count());
}

void report_suppressed_log_lines() {
  struct Pending {
    const char *format;
    unsigned long long count;
  } pending[kSites];
  int n = 0;
  if (g_sites_busy.test_and_set(std::memory_order_acquire)) return;  // next time
  const std::int64_t now = now_signed_ns();
  const std::int64_t window = g_window_ns.load(std::memory_order_relaxed);
  for (Site &s : g_sites) {
    if (s.format != nullptr && s.suppressed > 0 && now - s.window_start_ns >= window) {
      pending[n++] = {s.format, s.suppressed};
      s = Site{s.format, now, 0, 0};
    }
  }
  g_sites_busy.clear(std::memory_order_release);
  // Outside the table's lock: the sink may be slow (a file).
  for (int i = 0; i < n; ++i) {
    char line[512];
    std::snprintf(line, sizeof line, "%llu lines like \"%s\" suppressed in the last %g s",
                  pending[i].count, pending[i].format, static_cast<double>(window) / 1e9);
    g_sink.load()(LogLevel::kWarn, line);
  }
}

void reset_log_after_fork() {
  for (Site &s : g_sites) s = Site{};
  g_sites_busy.clear(std::memory_order_release);
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
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

bool parse_log_level(std::string_view text, LogLevel *out) {
  static const struct {
    const char *name;
    LogLevel level;
  } kLevels[] = {{"trace", LogLevel::kTrace},      {"debug", LogLevel::kDebug},
                 {"info", LogLevel::kInfo},        {"warn", LogLevel::kWarn},
                 {"warning", LogLevel::kWarn},     {"error", LogLevel::kError},
                 {"critical", LogLevel::kCritical}, {"off", LogLevel::kOff}};
  for (const auto &l : kLevels) {
    if (text == l.name) {
      *out = l.level;
      return true;
    }
  }
  return false;
}

}  // namespace npuprobe::base
