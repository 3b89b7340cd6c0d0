// The store's only way to talk: one function-pointer sink, so the library carries no logging
// dependency into the preload. The default sink writes "npuprobe: <level>: <message>" to stderr;
// the preload or the CLI installs its own (e.g. spdlog) with set_log_sink().
#pragma once

#include <string_view>

namespace npuprobe::store {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

using LogSink = void (*)(LogLevel level, const char *message);

// Replaces the sink; nullptr restores the default stderr sink. Thread-safe.
void set_log_sink(LogSink sink);
// Messages below `level` are dropped before formatting. Default kInfo.
void set_log_level(LogLevel level);
LogLevel log_level();

// printf-style; never throws, never allocates more than a fixed buffer.
void log_message(LogLevel level, const char *format, ...) __attribute__((format(printf, 2, 3)));

const char *to_string(LogLevel level);
// "trace" | "debug" | "info" | "warn" | "warning" | "error" | "off"; false (and *out untouched)
// otherwise. Shared by the environment (NPUPROBE_LOG_LEVEL) and the config file.
bool parse_log_level(std::string_view text, LogLevel *out);

}  // namespace npuprobe::store
