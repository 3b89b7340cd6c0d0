// This process's line in `npuprobe status`: its entry in the process registry
// (config/process_registry.h), created on the first publish and updated after every flush on the
// publisher thread; removed at normal exit, re-created under the child's pid after fork.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "npuprobe/config/process_registry.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::preload {

// Bit d: some thread set device d (d < 64). Written by aclrtSetDevice, read when publishing.
extern std::atomic<std::uint64_t> g_devices_used;

// True the first time the process sets `device` (exactly one caller sees it).
inline bool note_device_used(int device) noexcept {
  if (device < 0 || device >= 64) return false;
  const std::uint64_t bit = std::uint64_t{1} << device;
  // A load first: SetDevice is called often with the same device; the write happens once.
  if ((g_devices_used.load(std::memory_order_relaxed) & bit) != 0) return false;
  return (g_devices_used.fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
}

class StatusEntry {
 public:
  StatusEntry(std::string folder, std::string dp);

  // Publisher thread, after each flush.
  // `task_time`: config::ProcessStatus::task_time.
  void after_flush(bool measuring, std::uint64_t config_generation, store::StoreFormat format,
                   const std::string &task_time) noexcept;
  // Publisher thread, before a flush: who the process is now (a late title, a fork child's
  // folder); the next after_flush shows it.
  void set_identity(std::string dp, std::string folder) noexcept {
    dp_ = std::move(dp);
    folder_ = std::move(folder);
  }
  void remove() noexcept;             // normal exit
  void forget_after_fork() noexcept;  // fork child

 private:
  std::string folder_;
  std::string dp_;
  std::unique_ptr<config::RegistryEntry> entry_;
  std::uint64_t start_ticks_ = 0;
  std::string command_;
  bool failed_ = false;  // could not create the entry: said once, not retried
};

}  // namespace npuprobe::preload
