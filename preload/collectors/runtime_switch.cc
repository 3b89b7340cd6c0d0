#include "runtime_switch.h"

#include "npuprobe/base/log.h"
#include "runtime.h"

namespace npuprobe::preload {

using base::log_message;
using base::LogLevel;

RuntimeSwitch::RuntimeSwitch(std::string prefix) : prefix_(std::move(prefix)) {}

bool RuntimeSwitch::poll() noexcept {
  std::string error;
  std::optional<config::ControlState> now;
  try {
    now = config::read_control_segment(prefix_, &error);
  } catch (...) {
    error = "cannot read the control segment";
  }
  if (!now) {
    if (!error.empty()) {
      if (error != last_error_) {
        log_message(LogLevel::kWarn, "runtime switch: %s; keeping the last state (%s)",
                    error.c_str(), g_measuring.load() ? "ON" : "OFF");
      }
      last_error_ = error;
    }
    return false;  // absent: stay as we are (ON by default)
  }
  last_error_.clear();
  const bool first = !last_.has_value();
  const bool reload = !first && now->on && now->timestamp != last_->timestamp;
  if (first || now->on != last_->on) {
    set_measuring(now->on);
    log_message(LogLevel::kInfo, "runtime switch: %s (%s_control)", now->on ? "ON" : "OFF",
                prefix_.c_str());
  }
  last_ = now;
  if (reload) {
    ++reloads_;
    log_message(LogLevel::kInfo, "runtime switch: restart, configuration reload %llu",
                static_cast<unsigned long long>(reloads_));
  }
  return reload;
}

}  // namespace npuprobe::preload
