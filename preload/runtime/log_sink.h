// npuprobe's one logger in the host process: spdlog (header-only, hidden inside libnpuprobe.so
// with fmt), installed as the log sink (base/log.h). Every line reads
//   [2026-11-23 10:00:00.123] [npuprobe] [pid 4242] [warning] message
// on stderr or, with logging.file, appended to that file. Lines come from cold paths only (start,
// the publisher thread, exit); base's log layer filters levels and rate-limits before this.
#pragma once

#include <string>

namespace npuprobe::preload {

// Sends the log lines to spdlog, writing to `file` ("" = stderr). A file that cannot be
// opened is reported on stderr and stderr is used. Can be called again (reload).
void install_log_sink(const std::string &file) noexcept;

// fork: the child must not inherit the logger's lock held by another thread.
void log_sink_before_fork() noexcept;
void log_sink_after_fork() noexcept;

}  // namespace npuprobe::preload
