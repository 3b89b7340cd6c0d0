// npuprobe on | off | restart: the runtime switch, written into ms_service_metric's control
// segment exactly as `ms-service-metric` writes it, so one command switches the Python tool and
// every process running npuprobe (which polls the segment every flush interval).
#include <cstdio>
#include <ctime>

#include "../command.h"
#include "npuprobe/config/control_segment.h"

namespace npuprobe::cli {
namespace {

using config::ControlCommand;

int switch_to(const char *name, ControlCommand command, const std::vector<std::string> &args) {
  if (!args.empty()) {
    std::fprintf(stderr, "npuprobe %s: takes no arguments\n", name);
    return 2;
  }
  const std::string prefix = config::control_prefix_from_environment();
  const config::CommandOutcome out = config::apply_control_command(
      prefix, command, static_cast<std::uint32_t>(std::time(nullptr)));
  if (!out.ok) {
    std::fprintf(stderr, "npuprobe %s: %s\n", name, out.error.c_str());
    return 1;
  }
  std::printf("%s_control: %s, timestamp %u; signalled %zu process(es), cleared %zu dead\n",
              prefix.c_str(), out.state.on ? "ON" : "OFF", out.state.timestamp,
              out.signalled.size(), out.cleared.size());
  return 0;
}

int run_on(const std::vector<std::string> &args) { return switch_to("on", ControlCommand::kOn, args); }
int run_off(const std::vector<std::string> &args) { return switch_to("off", ControlCommand::kOff, args); }
int run_restart(const std::vector<std::string> &args) {
  return switch_to("restart", ControlCommand::kRestart, args);
}

}  // namespace

NPUPROBE_COMMAND(on, "on", "on", "switch collection on (npuprobe and ms_service_metric)", &run_on);
NPUPROBE_COMMAND(off, "off", "off", "switch collection off (counters keep their values)",
                 &run_off);
NPUPROBE_COMMAND(restart, "restart", "restart", "switch on and reload the configuration",
                 &run_restart);

}  // namespace npuprobe::cli
