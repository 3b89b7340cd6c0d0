#include "log_sink.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/base/log.h"

namespace npuprobe::preload {
namespace {

using base::LogLevel;

constexpr const char *kPattern = "[%Y-%m-%d %H:%M:%S.%e] [npuprobe] [pid %P] [%l] %v";

// Single-threaded spdlog sinks behind our own lock, which fork handling can take and release.
// The logger is never destroyed: lines may come after static destructors ran (exit flush).
std::mutex g_lock;
spdlog::logger *g_logger = nullptr;
std::string *g_file = nullptr;
std::string *g_refused = nullptr;  // "<file>: <reason>" of the last refusal, said once

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kCritical: return spdlog::level::critical;
    case LogLevel::kOff: break;
  }
  return spdlog::level::off;
}

void write_line(LogLevel level, const char *message) {
  std::lock_guard<std::mutex> hold(g_lock);
  g_logger->log(spdlog_level(level), spdlog::string_view_t(message));
}

// logging.file, opened by base::open_for_append (never through a link, never blocking on a
// FIFO, only a regular file of this user): each line is one write() of the formatted text.
class AppendFileSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit AppendFileSink(int fd) : fd_(fd) {}
  ~AppendFileSink() override { ::close(fd_); }

 protected:
  void sink_it_(const spdlog::details::log_msg &msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk loses the line, never the application
      done += static_cast<std::size_t>(n);
    }
  }
  void flush_() override {}

 private:
  int fd_;
};

spdlog::sink_ptr open_sink(const std::string &file, std::string *error) {
  if (!file.empty()) {
    const int fd = base::open_for_append(file, 0644, error);
    if (fd >= 0) return std::make_shared<AppendFileSink>(fd);
  }
  return std::make_shared<spdlog::sinks::stderr_sink_st>();
}

}  // namespace

void install_log_sink(const std::string &file) noexcept {
  try {
    std::string error;
    bool say_refusal = false;
    {
      std::lock_guard<std::mutex> hold(g_lock);
      if (g_logger != nullptr && g_file != nullptr && *g_file == file) return;
      auto *logger = new spdlog::logger("npuprobe", open_sink(file, &error));
      logger->set_pattern(kPattern);
      logger->set_level(spdlog::level::trace);  // base's log layer filters
      logger->flush_on(spdlog::level::trace);   // lines are rare; a crash must not lose them
      delete g_logger;  // safe: every use of it holds the lock we hold
      delete g_file;
      g_logger = logger;
      g_file = new std::string(error.empty() ? file : "");
      // Every reload tries the file again (the operator may have fixed it), but the same
      // refusal is said once, not at every `npuprobe restart`.
      const std::string refusal = error.empty() ? "" : file + ": " + error;
      if (g_refused == nullptr) g_refused = new std::string;
      say_refusal = !refusal.empty() && refusal != *g_refused;
      *g_refused = refusal;
    }
    base::set_log_sink(&write_line);
    if (say_refusal) {
      base::log_message(LogLevel::kWarn, "cannot open log file %s: %s; logging to stderr",
                         file.c_str(), error.c_str());
    }
  } catch (...) {
    base::set_log_sink(nullptr);  // base's plain stderr sink
  }
}

void log_sink_before_fork() noexcept {
  g_lock.lock();
}

void log_sink_after_fork() noexcept {
  g_lock.unlock();
}

}  // namespace npuprobe::preload
