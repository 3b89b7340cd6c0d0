// npuprobe's only way to talk, for every layer: one function-pointer sink, so no layer carries a
// logging dependency into the preload. The default sink writes "npuprobe: <level>: <message>" to
// stderr; the preload installs its own (spdlog, to stderr or a file) with set_log_sink().
//
// Repeated problems are rate-limited per call site (the format string): at most `burst` lines of
// warning level and above per `window`; the rest are counted and reported as
// "(N similar lines suppressed)" on the site's next line, or by report_suppressed_log_lines().
#pragma once

#include <chrono>
#include <string_view>

namespace npuprobe::base {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

using LogSink = void (*)(LogLevel level, const char *message);

// Replaces the sink; nullptr restores the default stderr sink. Thread-safe.
void set_log_sink(LogSink sink);
// Messages below `level` are dropped before formatting. Default kInfo.
void set_log_level(LogLevel level);
LogLevel log_level();

// printf-style; never throws, never allocates more than a fixed buffer.
void log_message(LogLevel level, const char *format, ...) __attribute__((format(printf, 2, 3)));

// Default: 5 lines per call site per 10 s. burst <= 0 turns rate limiting off (tests).
void set_log_rate_limit(int burst, std::chrono::milliseconds window);
// Says, for every call site whose window has passed with lines suppressed, how many were
// ("<N> lines like \"<format>\" suppressed in the last <s> s"). Publisher thread and exit.
void report_suppressed_log_lines();
// Fork child: forgets the counts and frees the table's lock (another thread may have held it).
void reset_log_after_fork();

const char *to_string(LogLevel level);
// "trace" | "debug" | "info" | "warn" | "warning" | "error" | "critical" | "off"; false (and *out
// untouched) otherwise. Shared by the environment (NPUPROBE_LOG_LEVEL) and the config file.
bool parse_log_level(std::string_view text, LogLevel *out);

}  // namespace npuprobe::base
