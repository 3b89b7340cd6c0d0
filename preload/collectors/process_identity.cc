#include "process_identity.h"

#include <unistd.h>

#include <cstdlib>

#include "embedded_exposer.h"
#include "npuprobe/attribution/attributor.h"
#include "npuprobe/base/log.h"
#include "npuprobe/config/process_identity.h"
#include "npuprobe/store/publisher.h"
#include "status_entry.h"

namespace npuprobe::preload {

ProcessIdentity::ProcessIdentity(store::MetricRegistry &registry, const config::Config &snapshot,
                                 std::string raw_dp, std::string folder,
                                 store::Publisher &publisher, StatusEntry &status,
                                 attribution::Attributor *attributor, EmbeddedExposer *exposer)
    : registry_(registry),
      publisher_(publisher),
      status_(status),
      attributor_(attributor),
      exposer_(exposer),
      raw_dp_(std::move(raw_dp)),
      configured_dp_(snapshot.dp),
      host_ids_(config::parse_visible_devices(std::getenv("ASCEND_RT_VISIBLE_DEVICES"))),
      // Into a log file at info; on the application's own stderr only at debug (its output
      // stays what it is without npuprobe), as the start-up line (runtime.cc).
      quiet_level_(snapshot.logging.file.empty() ? base::LogLevel::kDebug : base::LogLevel::kInfo),
      folder_(std::move(folder)) {
  device_info_ = registry_.add_family(store::gauge_spec(
      snapshot.metric_prefix + "npu:device_info",
      "1 per device this process uses: its host id (device), the id the process set "
      "(local_device), dp, pid and served model",
      {"dp", "device", "local_device", "process_pid", "model_name"}));
}

// The configured dp, else the last rank a title named, else 0 (docs/contract.md, "Identity").
// A title that names no rank keeps the last one: vLLM's fork workers go from the engine's
// `EngineCore_DP<n>` through a bare `Worker` to `Worker_DP<n>_TP<m>`.
std::string ProcessIdentity::current_dp() {
  if (!configured_dp_.empty()) return configured_dp_;
  if (auto dp = config::dp_from_title(config::own_title())) title_dp_ = *dp;
  return title_dp_.empty() ? "0" : title_dp_;
}

// A child forked after the parent started npuprobe inherits the parent's folder; its own
// environment (os.environ in Python writes through to the C environ) says where its files go.
void ProcessIdentity::follow_folder_of_fork_child() {
  const char *named = std::getenv("PROMETHEUS_MULTIPROC_DIR");
  if (named == nullptr || named[0] == '\0' || folder_ == named) return;
  base::log_message(quiet_level_,
                    "fork child: PROMETHEUS_MULTIPROC_DIR names %s; publishing there instead "
                    "of %s",
                    named, folder_.c_str());
  folder_ = named;
  publisher_.set_directory(folder_);
  if (exposer_ != nullptr) exposer_->stand_down();  // it would serve the folder left behind
}

void ProcessIdentity::add_device_info(std::uint64_t devices) {
  const std::string pid = std::to_string(::getpid());
  for (int d = 0; d < 64; ++d) {
    const std::uint64_t bit = std::uint64_t{1} << d;
    if ((devices & bit) == 0 || (info_devices_ & bit) != 0 || (inherited_devices_ & bit) != 0) {
      continue;
    }
    const std::string local = std::to_string(d);
    // `device` is renamed to the host id by the store writer, like every other series's.
    const store::GaugeHandle h =
        registry_.gauge(device_info_, {raw_dp_, local, local, pid, model_});
    registry_.set(h, 1);
    info_devices_ |= bit;
  }
}

void ProcessIdentity::before_flush(std::uint64_t devices) {
  if (forked_) {
    forked_ = false;
    follow_folder_of_fork_child();
  }
  if (!model_read_) {
    model_ = config::served_model_of_ancestors();
    model_read_ = true;
  }
  const std::string dp = current_dp();
  if (!shown_sent_ || dp != shown_dp_) {
    store::ShownLabels shown;
    shown.replace["dp"] = dp;
    for (std::size_t i = 0; i < host_ids_.size(); ++i) {
      shown.rename["device"][std::to_string(i)] = std::to_string(host_ids_[i]);
    }
    if (shown_sent_) {
      base::log_message(quiet_level_, "dp is now %s (process title); series relabelled",
                        dp.c_str());
    }
    publisher_.set_shown_labels(std::move(shown));
    shown_sent_ = true;
    shown_dp_ = dp;
  }
  status_.set_identity(shown_dp_, folder_);
  if (attributor_ != nullptr) attributor_->set_identity(shown_dp_, folder_);
  add_device_info(devices);
}

// The devices the parent set stay set in the process's device mask, but the child did not set
// them (a child that uses the NPU sets its device itself): no info row says it uses them.
void ProcessIdentity::after_fork_in_child() noexcept {
  forked_ = true;
  info_devices_ = 0;
  inherited_devices_ |= g_devices_used.load(std::memory_order_relaxed);
}

}  // namespace npuprobe::preload
