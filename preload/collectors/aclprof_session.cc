#include "aclprof_session.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <string>
#include <string_view>

#include "npuprobe/base/log.h"

namespace npuprobe::preload {
namespace {

using base::log_message;
using base::LogLevel;

constexpr int kPipeUtilization = 1;  // aicoreMetrics ACL_AICORE_PIPE_UTILIZATION

bool mspti_preloaded() {
  const char *preload = getenv("LD_PRELOAD");
  return preload != nullptr && strstr(preload, "libmspti") != nullptr;
}

// The nearest existing folder of `path` is writable (aclprofInit creates the rest).
bool creatable(const std::string &path, std::string *why) {
  std::string at = path;
  while (!at.empty()) {
    struct stat info;
    if (stat(at.c_str(), &info) == 0) {
      if (!S_ISDIR(info.st_mode)) {
        *why = at + " is not a folder";
        return false;
      }
      if (access(at.c_str(), W_OK | X_OK) == 0) return true;
      *why = at + ": " + strerror(errno);
      return false;
    }
    const std::size_t slash = at.find_last_of('/');
    if (slash == std::string::npos) return access(".", W_OK | X_OK) == 0;
    at.resize(slash);
  }
  return true;
}

}  // namespace

AclprofSession::AclprofSession(npu_shim::NpuFunctions &npu, const config::TaskTimeConfig &config)
    : npu_(npu), config_(config) {
  if (mspti_preloaded()) {
    log_message(LogLevel::kWarn,
                "task_time.mode=1 (aclprof) is not started: libmspti.so is in LD_PRELOAD and the "
                "two collectors exclude each other; use task_time.mode=2 with MSPTI");
    finished_ = true;
    refusal_ = "mspti_preloaded";
    return;
  }
  std::string why;
  if (!creatable(config_.prof_dir, &why)) {
    log_message(LogLevel::kWarn,
                "task_time.prof_dir %s cannot be created or written (%s): aclprof "
                "(acl_task_time=1) off",
                config_.prof_dir.c_str(), why.c_str());
    finished_ = true;
    refusal_ = "prof_dir";
  }
}

// The runtime's refusals (RT src/dfx/msprof/collector/dvvp/msprofiler/prof_acl_api.cpp
// aclprofInit; msprof/engine/src/prof_acl_mgr.cpp ProfInitPrecheck, ProfStartPrecheck;
// docs/ascend-stack.md, "aclprof refusals").
const char *AclprofSession::refusal_of(aclError result) noexcept {
  switch (result) {
    case ACL_ERROR_PROF_ALREADY_RUN: return "msprof_command_line";
    case ACL_ERROR_REPEAT_INITIALIZE: return "already_initialized";
    case ACL_ERROR_FEATURE_UNSUPPORTED: return "dynamic_profiling";
    case ACL_ERROR_PROF_NOT_RUN: return "not_run";
    default: return nullptr;
  }
}

namespace {

// What a refusal means, for the one log line: " (...)", or "" for a result that is not one.
// Literals only: said from noexcept code.
const char *explain(const char *reason) {
  if (reason == nullptr) return "";
  const std::string_view r = reason;
  if (r == "msprof_command_line") {
    return " (ACL_ERROR_PROF_ALREADY_RUN: msprof's command line profiles this process, "
           "PROFILER_SAMPLECONFIG is set)";
  }
  if (r == "already_initialized") {
    return " (ACL_ERROR_REPEAT_INITIALIZE: aclprof was initialized by someone else, torch_npu's "
           "profiler?)";
  }
  if (r == "dynamic_profiling") {
    return " (ACL_ERROR_FEATURE_UNSUPPORTED: dynamic profiling is on, PROFILING_MODE=dynamic)";
  }
  return " (ACL_ERROR_PROF_NOT_RUN: aclprof is not initialized, or no longer)";
}

}  // namespace

void AclprofSession::refuse(const char *reason) noexcept {
  if (initialized_) stop();
  finished_ = true;
  refusal_.store(reason, std::memory_order_release);
}

std::uint64_t AclprofSession::data_types(config::TaskTimeLevel level) noexcept {
  return ACL_PROF_MSPROFTX | (level == config::TaskTimeLevel::kL0
                                  ? std::uint64_t(ACL_PROF_TASK_TIME_L0)
                                  : std::uint64_t(ACL_PROF_TASK_TIME | ACL_PROF_ACL_API));
}

void AclprofSession::before_flush(std::uint64_t devices, bool measuring) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  if (ever_started_) {
    if (const char *reason = time_is_up()) {
      if (initialized_) stop();
      finished_ = true;
      log_message(LogLevel::kInfo, "aclprof stopped: %s", reason);
      return;
    }
  }
  if (!measuring) {
    if (initialized_) stop();
    return;
  }
  if (devices != 0) start_devices(devices);
}

void AclprofSession::start_now(std::uint64_t devices) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!finished_ && !(ever_started_ && time_is_up() != nullptr)) start_devices(devices);
}

void AclprofSession::finish() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (initialized_) stop();
  finished_ = true;
}

void AclprofSession::forget_after_fork() noexcept {
  new (&mutex_) std::mutex;  // a parent's thread may have held it
  finished_ = true;
  initialized_ = false;
}

const char *AclprofSession::time_is_up() const noexcept {
  const auto elapsed = std::chrono::steady_clock::now() - first_start_;
  if (config_.level_duration_s > 0 && elapsed >= std::chrono::seconds(config_.level_duration_s)) {
    return "the level's duration (task_time.level ...,N) passed";
  }
  if (config_.timelimit_s > 0 && elapsed >= std::chrono::seconds(config_.timelimit_s)) {
    return "task_time.timelimit_s passed";
  }
  return nullptr;
}

void AclprofSession::start_devices(std::uint64_t devices) noexcept {
  if (aclprof_ == nullptr) aclprof_ = npu_.aclprof();
  if (aclprof_ == nullptr) {  // npu_functions said which function is missing
    refuse("unavailable");
    return;
  }
  if (!initialized_) {
    const aclError result = aclprof_->init(config_.prof_dir.c_str(), config_.prof_dir.size());
    if (result != ACL_SUCCESS) {
      const char *reason = refusal_of(result);
      log_message(LogLevel::kWarn, "aclprofInit(%s) returned %d%s: aclprof (acl_task_time=1) off",
                  config_.prof_dir.c_str(), result, explain(reason));
      refuse(reason != nullptr ? reason : "error");
      return;
    }
    initialized_ = true;
  }
  for (int device = 0; device < kDevices; ++device) {
    const std::uint64_t bit = std::uint64_t(1) << device;
    if ((devices & bit) == 0 || (failed_devices_ & bit) != 0 || configs_[device] != nullptr) {
      continue;
    }
    std::uint32_t id = static_cast<std::uint32_t>(device);
    aclprofConfig *config =
        aclprof_->create_config(&id, 1, kPipeUtilization, nullptr, data_types(config_.level));
    const aclError result = config != nullptr ? aclprof_->start(config) : ACL_SUCCESS;
    if (config == nullptr) {
      log_message(LogLevel::kWarn, "aclprofCreateConfig for device %d failed: not profiled", device);
      failed_devices_ |= bit;
      continue;
    }
    if (result != ACL_SUCCESS) {
      aclprof_->destroy_config(config);
      if (const char *reason = refusal_of(result)) {  // aclprof as a whole, not this device
        log_message(LogLevel::kWarn, "aclprofStart for device %d returned %d%s: aclprof "
                    "(acl_task_time=1) off", device, result, explain(reason));
        refuse(reason);
        return;
      }
      log_message(LogLevel::kWarn, "aclprofStart for device %d returned %d: not profiled", device,
                  result);
      failed_devices_ |= bit;
      continue;
    }
    configs_[device] = config;
    if (!ever_started_) {
      ever_started_ = true;
      first_start_ = std::chrono::steady_clock::now();
    }
    log_message(LogLevel::kInfo, "aclprof started for device %d (level %s), data in %s", device,
                config_.level == config::TaskTimeLevel::kL0 ? "L0" : "L1", config_.prof_dir.c_str());
  }
}

void AclprofSession::stop() noexcept {
  for (aclprofConfig *&config : configs_) {
    if (config == nullptr) continue;
    if (const aclError result = aclprof_->stop(config); result != ACL_SUCCESS) {
      log_message(LogLevel::kWarn, "aclprofStop returned %d", result);
    }
    if (const aclError result = aclprof_->destroy_config(config); result != ACL_SUCCESS) {
      log_message(LogLevel::kWarn, "aclprofDestroyConfig returned %d", result);
    }
    config = nullptr;
  }
  if (const aclError result = aclprof_->finalize(); result != ACL_SUCCESS) {
    log_message(LogLevel::kWarn, "aclprofFinalize returned %d", result);
  }
  initialized_ = false;
}

}  // namespace npuprobe::preload
