// Follows ms_service_metric's control segment (config/control_segment.h) from the publisher
// thread: OFF turns every wrapper into a plain forward within one flush interval (counters keep
// their values), ON resumes, a new timestamp while ON asks for a configuration reload. No
// segment: the default state (ON). A malformed segment: one log line, the last state is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "npuprobe/config/control_segment.h"

namespace npuprobe::preload {

class RuntimeSwitch {
 public:
  explicit RuntimeSwitch(std::string prefix);
  // Returns true when the configuration should be reloaded (restart).
  bool poll() noexcept;
  std::uint64_t reloads() const noexcept { return reloads_; }

 private:
  const std::string prefix_;
  std::optional<config::ControlState> last_;
  std::string last_error_;
  std::uint64_t reloads_ = 0;
};

}  // namespace npuprobe::preload
