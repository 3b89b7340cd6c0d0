// npuprobe's report on itself (docs/contract.md, "Metrics", its Self-observation paragraph): `npuprobe:info` (version,
// store format, mode) and `npuprobe:publish_duration`. Updated on the publisher thread, but
// `npuprobe:task_time_active`, which the task-time sessions also set from the application's
// threads at their first device and at aclFinalize (cold paths, under a mutex).
#pragma once

#include <mutex>
#include <string>

#include "npuprobe/store/registry.h"
#include "npuprobe/config/config.h"

namespace npuprobe::preload {

class SelfMetrics {
 public:
  // `dp`: the label value this process's series carry (resolve_dp).
  SelfMetrics(store::MetricRegistry &registry, const config::Config &snapshot,
              const std::string &dp);
  void after_flush(double seconds, bool ok, store::StoreFormat format) noexcept;
  // `npuprobe:task_time_active{mode,reason}`: 1 while aclprof (mode 1) or MSPTI (mode 2)
  // collects for npuprobe; `refusal` (null: none) names why the runtime refused it for good, and
  // the series moves to that reason (the one with reason="" drops to 0). The family exists only
  // when task_time.mode is set. Any thread (never an intercepted call's hot path).
  void set_task_time_active(bool active, const char *refusal = nullptr) noexcept;

 private:
  store::MetricRegistry &registry_;
  store::FamilyId info_;
  store::HistogramHandle publish_duration_;
  std::string dp_;
  std::string mode_;
  bool format_known_ = false;
  store::StoreFormat format_ = store::StoreFormat::kV2;
  store::GaugeHandle info_handle_;
  bool task_time_ = false;
  store::FamilyId task_time_family_;
  std::string task_time_mode_;
  store::GaugeHandle task_time_active_;
  const char *task_time_refusal_ = nullptr;
  std::mutex task_time_mutex_;  // guards the two members above and the series they name
};

}  // namespace npuprobe::preload
