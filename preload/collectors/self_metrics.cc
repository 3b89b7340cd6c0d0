#include "self_metrics.h"

#include "npuprobe/version.h"

namespace npuprobe::preload {

SelfMetrics::SelfMetrics(store::MetricRegistry &registry, const config::Config &snapshot,
                         const std::string &dp)
    : registry_(registry),
      dp_(dp),
      mode_(snapshot.store.dir.empty() ? "embedded" : "multiproc") {
  info_ = registry_.add_family(store::gauge_spec(
      snapshot.metric_prefix + "npuprobe:info", "npuprobe build and publishing mode",
      {"dp", "version", "format", "mode"}));
  const store::FamilyId publish = registry_.add_family(store::histogram_spec(
      snapshot.metric_prefix + "npuprobe:publish_duration",
      "seconds one flush of the metric files took", {"dp"},
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}));
  publish_duration_ = registry_.histogram(publish, {dp_});
  if (snapshot.task_time.mode != config::TaskTimeMode::kOff) {
    task_time_family_ = registry_.add_family(store::gauge_spec(
        snapshot.metric_prefix + "npuprobe:task_time_active",
        "1 while npuprobe's task-time collection (aclprof or MSPTI) runs; reason: why the "
        "runtime refused it",
        {"dp", "mode", "reason"}));
    task_time_mode_ =
        snapshot.task_time.mode == config::TaskTimeMode::kAclprof ? "aclprof" : "mspti";
    task_time_active_ = registry_.gauge(task_time_family_, {dp_, task_time_mode_, ""});
    task_time_ = true;
  }
}

void SelfMetrics::set_task_time_active(bool active, const char *refusal) noexcept {
  if (!task_time_) return;
  // The publisher's flush and an application thread's first device or aclFinalize may both
  // come here; the series handle changes once, with the refusal.
  std::unique_lock<std::mutex> lock(task_time_mutex_, std::defer_lock);
  try {
    lock.lock();
  } catch (...) {
    return;  // cannot happen with a plain mutex; the next flush sets it
  }
  if (refusal != nullptr && task_time_refusal_ == nullptr) {
    try {
      registry_.set(task_time_active_, 0);
      task_time_active_ = registry_.gauge(task_time_family_, {dp_, task_time_mode_, refusal});
      task_time_refusal_ = refusal;
    } catch (...) {  // registry full: the reason="" series stays, at 0
    }
  }
  registry_.set(task_time_active_, active ? 1 : 0);
}

void SelfMetrics::after_flush(double seconds, bool ok, store::StoreFormat format) noexcept {
  if (ok) registry_.observe(publish_duration_, seconds);
  if (format_known_ && format == format_) return;
  try {
    // The format may change once (auto follows Python's files): the old series drops to 0.
    if (format_known_) registry_.set(info_handle_, 0);
    info_handle_ = registry_.gauge(
        info_, {dp_, NPUPROBE_VERSION_STRING, std::string(store::to_string(format)), mode_});
    registry_.set(info_handle_, 1);
    format_known_ = true;
    format_ = format;
  } catch (...) {
  }
}

}  // namespace npuprobe::preload
