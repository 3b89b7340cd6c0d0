#include "mspti_session.h"

#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <new>
#include <string_view>

#include "npuprobe/npu_shim/mspti_records.h"
#include "npuprobe/base/log.h"

namespace npuprobe::preload {
namespace {

using base::log_message;
using base::LogLevel;

// MSPTI's buffer callbacks are plain functions: they find the pool here. One subscriber per
// process (MSPTI's rule), so one pool.
std::atomic<npu_shim::MsptiBufferPool *> g_pool{nullptr};

void request_buffer(std::uint8_t **buffer, std::size_t *size, std::size_t *max_records) {
  npu_shim::MsptiBufferPool *pool = g_pool.load(std::memory_order_acquire);
  *buffer = pool != nullptr ? pool->lend() : nullptr;
  *size = *buffer != nullptr ? npu_shim::MsptiBufferPool::kBufferBytes : 0;
  *max_records = 0;  // as many as fit
}

void complete_buffer(std::uint8_t *buffer, std::size_t /*size*/, std::size_t valid) {
  npu_shim::MsptiBufferPool *pool = g_pool.load(std::memory_order_acquire);
  if (pool != nullptr && buffer != nullptr) pool->complete(buffer, valid);
}

const char *result_name(int result) {
  switch (result) {
    case MSPTI_ERROR_INVALID_PARAMETER: return "INVALID_PARAMETER";
    case MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED: return "MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
    case MSPTI_ERROR_MAX_LIMIT_REACHED: return "MAX_LIMIT_REACHED";
    case MSPTI_ERROR_DEVICE_OFFLINE: return "DEVICE_OFFLINE";
    case MSPTI_ERROR_QUEUE_EMPTY: return "QUEUE_EMPTY";
    case MSPTI_ERROR_WITHOUT_LD_PRELOAD: return "WITHOUT_LD_PRELOAD";
    case MSPTI_ERROR_INNER: return "INNER";
    default: return "unknown result";
  }
}

std::string_view view(const char *text) { return text != nullptr ? text : std::string_view(); }

// Kernel record times are CLOCK_REALTIME ns when MSPTI knows the device's counter frequency, raw
// counter ticks when it does not (Ascend/mspti csrc/common/context_manager.cpp
// GetRealTimeFromSysCnt returns the counter as is). Realtime ns are past 2001-09-09 (1e18); a
// counter at 50 MHz (ContextManager's default) would need 600 years of uptime to get there.
// Ticks have no unit npuprobe could know, so such a record is counted, not timed.
constexpr std::uint64_t kRealtimeFloorNs = 1000000000000000000ull;

}  // namespace

MsptiSession::MsptiSession(npu_shim::NpuFunctions &npu, const config::TaskTimeConfig &config,
                           probes::Probes &probes, probes::CollectiveProbe &collectives)
    : npu_(npu),
      config_(config),
      api_records_(probes::has_filter(config.api_filter)),
      probes_(probes),
      collectives_(collectives),
      visible_(npu::VisibleDevices::parse(getenv("ASCEND_RT_VISIBLE_DEVICES"))) {}

void MsptiSession::before_flush(bool measuring) noexcept {
  // Looked for before mutex_ is taken: the lookup may wait for the loader's lock (npu_functions.h).
  const npu_shim::MsptiFunctions *found =
      measuring && state_.load(std::memory_order_relaxed) != State::kFinished ? npu_.mspti()
                                                                             : nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kFinished) return;
  if (state_ == State::kCollecting && config_.timelimit_s > 0 &&
      std::chrono::steady_clock::now() - first_start_ >= std::chrono::seconds(config_.timelimit_s)) {
    stop();
    state_ = State::kFinished;
    log_message(LogLevel::kInfo, "task_time.timelimit_s=%d reached: MSPTI collection stopped",
                config_.timelimit_s);
    return;
  }
  if (!measuring) {
    if (state_ == State::kCollecting) {
      pause();
      state_ = State::kPaused;
    }
    return;
  }
  if (state_ != State::kCollecting && !start(found)) return;
  read_records(true);
}

void MsptiSession::start_now() noexcept {
  if (state_.load(std::memory_order_relaxed) == State::kFinished) return;
  const npu_shim::MsptiFunctions *found = npu_.mspti();  // before mutex_, as above
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kIdle || state_ == State::kPaused) start(found);
}

void MsptiSession::finish() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kCollecting || state_ == State::kPaused) stop();
  state_ = State::kFinished;
}

void MsptiSession::forget_after_fork() noexcept {
  new (&mutex_) std::mutex;  // a parent's thread may have held it
  state_ = State::kFinished;
}

bool MsptiSession::start(const npu_shim::MsptiFunctions *found) noexcept {
  if (mspti_ == nullptr) mspti_ = found;
  if (mspti_ == nullptr) return false;  // not loaded (yet): npu_functions said so, once
  if (pool_ == nullptr) {
    try {
      pool_ = new npu_shim::MsptiBufferPool(config_.mspti_buffers);
    } catch (const std::bad_alloc &) {
      log_message(LogLevel::kWarn, "MSPTI: no memory for %d activity buffers of 2 MiB: task time off",
                  config_.mspti_buffers);
      state_ = State::kFinished;
      return false;
    }
    g_pool.store(pool_, std::memory_order_release);
  }
  if (state_ == State::kIdle) {
    int result = mspti_->subscribe(&subscriber_, nullptr, nullptr);
    if (result != MSPTI_SUCCESS) {
      fail("msptiSubscribe", result,
           result == MSPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED
               ? "another MSPTI subscriber (msserviceprofiler?) is active in this process"
               : nullptr);
      return false;
    }
    result = mspti_->register_callbacks(&request_buffer, &complete_buffer);
    if (result != MSPTI_SUCCESS) {
      mspti_->unsubscribe(subscriber_);
      fail("msptiActivityRegisterCallbacks", result, nullptr);
      return false;
    }
    first_start_ = std::chrono::steady_clock::now();
  }
  const int result = enable_kinds();
  if (result != MSPTI_SUCCESS) {
    mspti_->unsubscribe(subscriber_);
    fail("msptiActivityEnable(KERNEL)", result,
         result == MSPTI_ERROR_WITHOUT_LD_PRELOAD
             ? "this MSPTI wants libmspti.so in LD_PRELOAD for the kind (real MSPTI: only for "
               "HCCL, MEMORY, MEMSET and MEMCPY)"
             : nullptr);
    return false;
  }
  state_ = State::kCollecting;
  log_message(LogLevel::kDebug, "MSPTI: collecting kernel%s%s records",
              api_records_ ? ", API" : "", hccl_enabled_ ? ", HCCL" : "");
  return true;
}

int MsptiSession::enable_kinds() noexcept {
  const int result = mspti_->enable(MSPTI_ACTIVITY_KIND_KERNEL);
  if (result != MSPTI_SUCCESS) return result;
  enable_hccl();
  if (!api_records_) return result;
  const int api = mspti_->enable(MSPTI_ACTIVITY_KIND_API);
  if (api != MSPTI_SUCCESS) {
    log_message(LogLevel::kWarn,
                "MSPTI: msptiActivityEnable(API) returned %d (%s): kernel records only, "
                "task_time.api_filter is not applied",
                api, result_name(api));
  }
  return MSPTI_SUCCESS;
}

// HCCL records come from libmspti's own Hccl* interposers, so MSPTI allows the kind only with
// libmspti.so in LD_PRELOAD (Ascend/mspti csrc/activity/activity_manager.cpp IsNeedLdPreload).
// Refused once, refused for good (LD_PRELOAD does not change): not asked again on resume.
void MsptiSession::enable_hccl() noexcept {
  if (hccl_refusal_.load(std::memory_order_relaxed) != nullptr) return;
  const int result = mspti_->enable(MSPTI_ACTIVITY_KIND_HCCL);
  if (result == MSPTI_SUCCESS) {
    hccl_enabled_ = true;
    return;
  }
  const bool preload = result == MSPTI_ERROR_WITHOUT_LD_PRELOAD;
  hccl_refusal_.store(preload ? "hccl_without_ld_preload" : "hccl_error",
                      std::memory_order_release);
  log_message(LogLevel::kWarn,
              "MSPTI: msptiActivityEnable(HCCL) returned %d (%s): no npu:hccl_duration%s; kernel "
              "records and every other metric go on",
              result, result_name(result),
              preload ? " (MSPTI's HCCL records need libmspti.so in LD_PRELOAD)" : "");
}

void MsptiSession::pause() noexcept {
  mspti_->disable(MSPTI_ACTIVITY_KIND_KERNEL);
  if (api_records_) mspti_->disable(MSPTI_ACTIVITY_KIND_API);
  if (hccl_enabled_) mspti_->disable(MSPTI_ACTIVITY_KIND_HCCL);
  hccl_enabled_ = false;
  read_records(true);
}

void MsptiSession::stop() noexcept {
  if (state_ == State::kCollecting) {
    pause();
  } else {
    read_records(true);
  }
  // msptiUnsubscribe hands nothing back (Ascend/mspti callback_manager.cpp: it stops the device
  // tasks and tears down the channels): what MSPTI still holds in its buffer comes back with a
  // flush, which works after it too.
  const int result = mspti_->unsubscribe(subscriber_);
  if (result != MSPTI_SUCCESS) {
    log_message(LogLevel::kWarn, "MSPTI: msptiUnsubscribe returned %d (%s)", result,
                result_name(result));
  }
  subscriber_ = nullptr;
  read_records(true);
}

void MsptiSession::read_records(bool flush) noexcept {
  if (flush) {
    const int result = mspti_->flush_all(MSPTI_FLUSH_FORCED);
    if (result != MSPTI_SUCCESS && !flush_failure_said_) {
      // Not fatal: MSPTI still hands back buffers as they fill.
      log_message(LogLevel::kWarn,
                  "MSPTI: msptiActivityFlushAll returned %d (%s): records arrive only as "
                  "buffers fill (said once)",
                  result, result_name(result));
      flush_failure_said_ = true;
    }
  }
  try {
    pool_->drain([this](std::uint8_t *buffer, std::size_t valid) {
      npu_shim::for_each_record(
          *mspti_, buffer, valid,
          [this](const msptiActivityKernel &k) {
            probes_.on_kernel_record(probes::KernelRecord{
                static_cast<int>(visible_.to_user(k.ds.deviceId)), k.start, k.end, view(k.type),
                view(k.name), k.start >= kRealtimeFloorNs});
          },
          [this](const msptiActivityApi &a) {
            probes_.on_api_record(probes::ApiRecord{a.start, a.end, view(a.name)});
          },
          [this](const msptiActivityHccl &h) {
            // The same device id and time base as the kernel records (docs/ascend-stack.md).
            const probes::HcclRecordResult result = collectives_.on_hccl_record(
                probes::HcclRecord{static_cast<int>(visible_.to_user(h.ds.deviceId)), h.start,
                                   h.end, view(h.name), view(h.commName),
                                   h.start >= kRealtimeFloorNs});
            if (result != probes::HcclRecordResult::kObserved) {
              probes_.on_hccl_record_dropped(result);
            }
          });
    });
  } catch (...) {
  }
  probes_.on_task_time_records_lost(pool_->take_refused());
}

void MsptiSession::fail(const char *function, int result, const char *hint) noexcept {
  log_message(LogLevel::kWarn, "MSPTI: %s returned %d (%s)%s%s: task time (acl_task_time=2) off",
              function, result, result_name(result), hint != nullptr ? "; " : "",
              hint != nullptr ? hint : "");
  subscriber_ = nullptr;
  state_ = State::kFinished;
}

}  // namespace npuprobe::preload
