#include "status_entry.h"

#include <unistd.h>

#include <chrono>
#include <utility>

#include "npuprobe/base/log.h"

namespace npuprobe::preload {

std::atomic<std::uint64_t> g_devices_used{0};

StatusEntry::StatusEntry(std::string folder, std::string dp)
    : folder_(std::move(folder)), dp_(std::move(dp)) {}

void StatusEntry::after_flush(bool measuring, std::uint64_t config_generation,
                              store::StoreFormat format, const std::string &task_time) noexcept {
  if (failed_) return;
  try {
    config::ProcessStatus s;
    s.pid = static_cast<int>(::getpid());
    if (!entry_) {
      std::string error;
      entry_ = config::RegistryEntry::create(config::registry_dir_from_environment(), &error);
      if (!entry_) {
        failed_ = true;
        base::log_message(base::LogLevel::kWarn,
                           "process registry: %s; `npuprobe status` will not list this process",
                           error.c_str());
        return;
      }
      start_ticks_ = config::process_start_ticks(s.pid);  // both fixed for the process's life
      command_ = config::process_command(s.pid);
    }
    s.start_ticks = start_ticks_;
    s.command = command_;
    s.devices = g_devices_used.load(std::memory_order_relaxed);
    s.dp = dp_;
    s.measuring = measuring;
    s.task_time = task_time;
    s.config_generation = config_generation;
    s.last_publish_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    s.folder = folder_;
    s.format = std::string(store::to_string(format));
    entry_->publish(s);
  } catch (...) {
    // Out of memory while building the strings: the entry keeps its last state.
  }
}

void StatusEntry::remove() noexcept {
  if (entry_) entry_->remove();
}

void StatusEntry::forget_after_fork() noexcept {
  if (entry_) entry_->forget_after_fork();
  entry_.reset();
  failed_ = false;
}

}  // namespace npuprobe::preload
