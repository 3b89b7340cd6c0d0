#include "api_record_series.h"

#include <new>

#include "npuprobe/base/log.h"

namespace npuprobe::probes {

store::HistogramHandle ApiRecordSeries::get(std::string_view api) noexcept {
  if (api.empty()) api = kUnknownKernelType;
  std::lock_guard<std::mutex> lock(mutex_);
  // Linear, as KernelSeries: a process calls a few dozen distinct entry points.
  for (const Entry &entry : names_) {
    if (entry.api == api) return entry.handle;
  }
  if (names_.size() < static_cast<std::size_t>(kMaxApiRecordNames)) {
    const store::HistogramHandle handle = resolve(api);
    try {
      names_.push_back({std::string(api), handle});
    } catch (const std::bad_alloc &) {
      // Not kept: the next record of this name resolves again (the same series).
    }
    return handle;
  }
  if (!other_resolved_) {
    base::log_message(base::LogLevel::kInfo,
                       "probes: more than %d API names in MSPTI records; the others count as "
                       "api=\"other\"",
                       kMaxApiRecordNames);
    other_ = resolve(kOtherKernelType);
    other_resolved_ = true;
  }
  return other_;
}

store::HistogramHandle ApiRecordSeries::resolve(std::string_view api) noexcept {
  try {
    return families_.resolve_api_record(std::string(api));
  } catch (const std::exception &e) {
    base::log_message(base::LogLevel::kWarn, "probes: no API record series for %.*s: %s",
                       static_cast<int>(api.size()), api.data(), e.what());
    return store::HistogramHandle{};
  }
}

void ApiRecordSeries::reset_lock_after_fork() noexcept {
  new (&mutex_) std::mutex;  // see NameTable::reset_lock_after_fork
}

}  // namespace npuprobe::probes
