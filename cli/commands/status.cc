// npuprobe status: the runtime switch's state (the control segment shared with ms_service_metric)
// and every instrumented process npuprobe's registry knows: pid, state, devices, dp, the
// configuration generation applied, how long ago it last published, its store folder and format,
// its command, and its task time ("aclprof refused: msprof_command_line": why the runtime refused
// mode 1) on a line of its own. Entries of processes that are gone are shown as dead and removed.
//
// The records are written by processes (and possibly forged by anyone who can write the folder):
// every text field is printed through base::printable, so control sequences show as "\x1b".
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../command.h"
#include "../json_out.h"
#include "../options.h"
#include "npuprobe/base/private_dir.h"
#include "npuprobe/base/terminal_text.h"
#include "npuprobe/config/control_segment.h"
#include "npuprobe/config/process_registry.h"

namespace npuprobe::cli {
namespace {

// 1 when the segment exists but is unusable.
int print_segment() {
  const std::string prefix = config::control_prefix_from_environment();
  std::string error;
  const auto state = config::read_control_segment(prefix, &error);
  if (state) {
    std::printf("switch %s_control: %s, timestamp %u\n", prefix.c_str(), state->on ? "ON" : "OFF",
                state->timestamp);
    return 0;
  }
  if (error.empty()) {
    std::printf("switch %s_control: absent (processes start ON unless configured `enabled: "
                "false`)\n",
                prefix.c_str());
    return 0;
  }
  std::printf("switch %s_control: unusable: %s (processes keep their last state)\n",
              prefix.c_str(), base::printable(error).c_str());
  return 1;
}

std::string device_list(std::uint64_t devices) {
  std::string out;
  for (int d = 0; d < 64; ++d) {
    if (devices >> d & 1u) out += (out.empty() ? "" : ",") + std::to_string(d);
  }
  return out.empty() ? "-" : out;
}

std::string age(std::int64_t unix_ms) {
  if (unix_ms <= 0) return "never";
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs ago", static_cast<double>(now - unix_ms) / 1000.0);
  return text;
}

std::string state_of(const config::ListedProcess &p) {
  if (!p.alive) return p.removed ? "dead (removed)" : "dead";
  return p.status.measuring ? "on" : "off";
}

// The default folder is used only when private (what the preload demands before writing
// there); one named with --registry may belong to another user (root inspecting a user's
// processes) but must not be writable by others, and only our own has its dead entries removed.
bool registry_usable(const std::string &dir, bool named, bool *own, std::string *why) {
  struct stat info {};
  *own = false;
  if (::lstat(dir.c_str(), &info) != 0) return true;  // absent: nothing listed
  *own = base::is_private_dir(dir, why);
  if (*own) return true;
  // Another user's folder, named on purpose: readable when nobody else can write it.
  return named && S_ISDIR(info.st_mode) && (info.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// {"switch": {"segment", "state": "ON|OFF|absent|unusable", "timestamp"?, "error"?},
//  "registry", "skipped": [...], "processes": [{"pid", "state", "devices": [..], "dp",
//  "generation", "last_publish_unix_ms", "format", "folder", "command", "task_time"}]}
int print_json(const std::string &dir, bool own, bool keep_dead) {
  const std::string prefix = config::control_prefix_from_environment();
  std::string error;
  const auto segment = config::read_control_segment(prefix, &error);
  JsonObject sw;
  sw.text("segment", prefix + "_control");
  if (segment) {
    sw.text("state", segment->on ? "ON" : "OFF").number("timestamp", segment->timestamp);
  } else if (error.empty()) {
    sw.text("state", "absent");
  } else {
    sw.text("state", "unusable").text("error", error);
  }
  std::vector<std::string> skipped;
  std::vector<std::string> rows;
  const auto processes = config::list_processes(dir, own && !keep_dead, &skipped);
  for (const config::ListedProcess &p : processes) {
    const config::ProcessStatus &s = p.status;
    std::vector<std::string> devices;
    for (int d = 0; d < 64; ++d) {
      if (s.devices >> d & 1u) devices.push_back(std::to_string(d));
    }
    rows.push_back(JsonObject()
                       .number("pid", s.pid)
                       .text("state", state_of(p))
                       .raw("devices", json_array(devices))
                       .text("dp", s.dp)
                       .number("generation", static_cast<long long>(s.config_generation))
                       .number("last_publish_unix_ms",
                               static_cast<long long>(s.last_publish_unix_ms))
                       .text("format", s.format)
                       .text("folder", s.folder)
                       .text("command", s.command)
                       .text("task_time", s.task_time)
                       .str());
  }
  std::printf("%s\n", JsonObject()
                          .raw("switch", sw.str())
                          .text("registry", dir)
                          .texts("skipped", skipped)
                          .raw("processes", json_array(rows))
                          .str()
                          .c_str());
  return segment || error.empty() ? 0 : 1;
}

int run_status(const std::vector<std::string> &args) {
  const Options options(args, {"--registry"}, {"--keep-dead", "--json"});
  if (!options.ok()) return usage_error("status", options.error());
  const bool json = options.flag("--json");
  const int segment = json ? 0 : print_segment();
  const auto named = options.value("--registry");
  const std::string dir = named.value_or(config::registry_dir_from_environment());
  bool own = false;
  std::string why;
  if (!registry_usable(dir, named.has_value(), &own, &why)) {
    if (json) {
      std::printf("%s\n", JsonObject().text("registry", dir).text("refused", why).str().c_str());
      return 1;
    }
    std::printf("registry %s: refused: %s (its records could be forged; not read)\n",
                base::printable(dir).c_str(), base::printable(why).c_str());
    return 1;
  }
  if (json) return print_json(dir, own, options.flag("--keep-dead"));
  std::vector<std::string> skipped;
  const auto processes =
      config::list_processes(dir, own && !options.flag("--keep-dead"), &skipped);
  std::printf("%zu instrumented process(es) in %s\n", processes.size(),
              base::printable(dir).c_str());
  for (const std::string &line : skipped) {
    std::printf("skipped %s\n", base::printable(line).c_str());
  }
  if (processes.empty()) return segment;
  std::printf("%-8s %-15s %-8s %-4s %-4s %-14s %-6s %-28s %s\n", "PID", "STATE", "DEVICES", "DP",
              "GEN", "LAST PUBLISH", "FORMAT", "FOLDER", "COMMAND");
  for (const config::ListedProcess &p : processes) {
    const config::ProcessStatus &s = p.status;
    std::printf("%-8d %-15s %-8s %-4s %-4llu %-14s %-6s %-28s %s\n", s.pid, state_of(p).c_str(),
                device_list(s.devices).c_str(), base::printable(s.dp).c_str(),
                static_cast<unsigned long long>(s.config_generation),
                age(s.last_publish_unix_ms).c_str(), base::printable(s.format).c_str(),
                base::printable(s.folder).c_str(), base::printable(s.command).c_str());
    if (!s.task_time.empty()) {
      std::printf("%-8s task time: %s\n", "", base::printable(s.task_time).c_str());
    }
  }
  return segment;
}

}  // namespace

NPUPROBE_COMMAND(status, "status", "status [--registry DIR] [--keep-dead] [--json]",
                 "the switch's state and every instrumented process", &run_status);

}  // namespace npuprobe::cli
