// Who this process is in its labels (docs/contract.md, "Identity"): its dp, the host id of each
// device it uses, its pid and model, and the folder its files go to. All are read from what the
// process shows the system, on the publisher thread before every flush, because vLLM sets them
// late: a spawned worker is titled `VLLM::Worker_DP<n>_TP<m>` only after its device is set up,
// and a child forked by a parent that had touched ACL finds its folder in its own environment.
// The registry keeps the label values the probes saw at start; the store writer shows the
// current ones (store::ShownLabels), rewriting this process's files whole when they change, so
// every count stays under exactly one label set. `npu:device_info` joins the two device ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npuprobe/base/log.h"
#include "npuprobe/config/config.h"
#include "npuprobe/store/registry.h"

namespace npuprobe {
namespace store {
class Publisher;
}
namespace attribution {
class Attributor;
}
}  // namespace npuprobe

namespace npuprobe::preload {

class EmbeddedExposer;
class StatusEntry;

class ProcessIdentity {
 public:
  // `raw_dp`: the dp value the registry's series carry (resolved at start); `folder`: where
  // the files go at start. `attributor`, `exposer`: null when not running.
  ProcessIdentity(store::MetricRegistry &registry, const config::Config &snapshot,
                  std::string raw_dp, std::string folder, store::Publisher &publisher,
                  StatusEntry &status, attribution::Attributor *attributor,
                  EmbeddedExposer *exposer);

  // Publisher thread, before every flush (`devices`: bit d = the process set device d).
  void before_flush(std::uint64_t devices);
  // Fork child: the registry dropped the info series; the next flush reads the folder again.
  void after_fork_in_child() noexcept;

 private:
  std::string current_dp();
  void follow_folder_of_fork_child();
  void add_device_info(std::uint64_t devices);

  store::MetricRegistry &registry_;
  store::Publisher &publisher_;
  StatusEntry &status_;
  attribution::Attributor *attributor_;
  EmbeddedExposer *exposer_;
  const std::string raw_dp_;
  const std::string configured_dp_;  // VLLM_DP_RANK or the `dp` key: wins over any title
  const std::vector<int> host_ids_;  // ASCEND_RT_VISIBLE_DEVICES, read once as the runtime does
  const base::LogLevel quiet_level_;
  store::FamilyId device_info_;
  std::string folder_;
  std::string shown_dp_;  // what the files show now
  std::string title_dp_;  // the last DP<n> a title named (kept while later titles name none)
  std::string model_;
  bool model_read_ = false;
  bool forked_ = false;
  bool shown_sent_ = false;
  std::uint64_t info_devices_ = 0;       // devices whose npu:device_info series exists
  std::uint64_t inherited_devices_ = 0;  // set by a parent before fork, not by this process
};

}  // namespace npuprobe::preload
