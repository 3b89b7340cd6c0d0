// `npu:api_exec_duration{api}` series, one per API name MSPTI reports, resolved on the first
// record of each name and kept. Cold and thread-safe (a mutex): records come from the thread
// that drains MSPTI's buffers. Bounded: kMaxApiRecordNames names, the rest share api="other".
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metric_families.h"
#include "npuprobe/probes/task_time.h"

namespace npuprobe::probes {

class ApiRecordSeries {
 public:
  explicit ApiRecordSeries(const MetricFamilies &families) : families_(families) {}

  // A series the registry cannot give (full) records into a sink, logged once per name.
  store::HistogramHandle get(std::string_view api) noexcept;

  // Fork child: a thread of the parent may have held the mutex; the handles stay valid.
  void reset_lock_after_fork() noexcept;

 private:
  struct Entry {
    std::string api;
    store::HistogramHandle handle;
  };

  store::HistogramHandle resolve(std::string_view api) noexcept;

  const MetricFamilies &families_;
  std::mutex mutex_;
  std::vector<Entry> names_;  // at most kMaxApiRecordNames, in order of arrival
  bool other_resolved_ = false;
  store::HistogramHandle other_;
};

}  // namespace npuprobe::probes
