#include "log_sink.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>
#include <mutex>

#include "npuprobe/store/log.h"

namespace npuprobe::preload {
namespace {

using store::LogLevel;

constexpr const char *kPattern = "[%Y-%m-%d %H:%M:%S.%e] [npuprobe] [pid %P] [%l] %v";

// Single-threaded spdlog sinks behind our own lock, which fork handling can take and release.
// The logger is never destroyed: lines may come after static destructors ran (exit flush).
std::mutex g_lock;
spdlog::logger *g_logger = nullptr;
std::string *g_file = nullptr;

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

spdlog::sink_ptr open_sink(const std::string &file, std::string *error) {
  if (!file.empty()) {
    try {
      return std::make_shared<spdlog::sinks::basic_file_sink_st>(file, /*truncate=*/false);
    } catch (const std::exception &e) {
      *error = e.what();
    }
  }
  return std::make_shared<spdlog::sinks::stderr_sink_st>();
}

}  // namespace

void install_log_sink(const std::string &file) noexcept {
  try {
    std::string error;
    {
      std::lock_guard<std::mutex> hold(g_lock);
      if (g_logger != nullptr && g_file != nullptr && *g_file == file) return;
      auto *logger = new spdlog::logger("npuprobe", open_sink(file, &error));
      logger->set_pattern(kPattern);
      logger->set_level(spdlog::level::trace);  // the store's log layer filters
      logger->flush_on(spdlog::level::trace);   // lines are rare; a crash must not lose them
      delete g_logger;  // safe: every use of it holds the lock we hold
      delete g_file;
      g_logger = logger;
      g_file = new std::string(error.empty() ? file : "");
    }
    store::set_log_sink(&write_line);
    if (!error.empty()) {
      store::log_message(LogLevel::kWarn, "cannot open log file %s (%s); logging to stderr",
                         file.c_str(), error.c_str());
    }
  } catch (...) {
    store::set_log_sink(nullptr);  // the store's plain stderr sink
  }
}

void log_sink_before_fork() noexcept {
  g_lock.lock();
}

void log_sink_after_fork() noexcept {
  g_lock.unlock();
}

}  // namespace npuprobe::preload
