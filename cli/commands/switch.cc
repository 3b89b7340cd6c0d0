// npuprobe on | off | restart: the runtime switch, written into ms_service_metric's control
// segment exactly as `ms-service-metric` writes it, so one command switches the Python tool and
// every process running npuprobe (which polls the segment every flush interval).
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

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
  std::printf("%s_control: %s, timestamp %u; signalled %zu process(es), skipped %zu, cleared %zu "
              "dead\n",
              prefix.c_str(), out.state.on ? "ON" : "OFF", out.state.timestamp,
              out.signalled.size(), out.skipped.size(), out.cleared.size());
  // The ring is writable by every local user: say which pids were not signalled and why.
  std::map<std::string, std::vector<int>> by_reason;
  for (const auto &[pid, why] : out.skipped) by_reason[why].push_back(pid);
  for (const auto &[why, pids] : by_reason) {
    std::string list;
    for (std::size_t i = 0; i < pids.size() && i < 20; ++i) {
      list += (i ? " " : "") + std::to_string(pids[i]);
    }
    if (pids.size() > 20) list += " ...";
    std::printf("  skipped %zu: %s: %s\n", pids.size(), why.c_str(), list.c_str());
  }
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
