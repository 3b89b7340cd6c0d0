// `npuprobe check`: ms_service_metric's control segment (docs/config.md, "The runtime switch").
// Instrumented processes read it at start and every flush: absent means ON, a malformed one means
// every process keeps its last state and ignores on/off, so that is a failure.
#include <fcntl.h>
#include <semaphore.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "check_steps.h"
#include "npuprobe/config/control_segment.h"

namespace npuprobe::cli {
namespace {

std::string utc(std::uint32_t timestamp) {
  if (timestamp == 0) return "never switched";
  const std::time_t t = timestamp;
  std::tm tm{};
  char text[32];
  if (gmtime_r(&t, &tm) == nullptr ||
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return std::to_string(timestamp);
  return text;
}

}  // namespace

void check_control_segment(CheckReport &report) {
  const std::string prefix = config::control_prefix_from_environment();
  const std::string name = prefix + "_control";
  const std::string what = "control segment";
  std::string error;
  const auto state = config::read_control_segment(prefix, &error);
  if (!state) {
    if (error.empty()) {
      report.ok(what, name + ": absent; collection starts ON (default)");
    } else {
      // apply_control_command leaves a malformed segment untouched: it has to go by hand.
      // (`error` names the segment.)
      const std::string file = "/dev/shm/" + name.substr(name.rfind('/') + 1);
      report.fail(what, error + " (processes would ignore on/off; remove " + file +
                            ", `npuprobe on` recreates it)");
    }
    return;
  }
  report.ok(what, name + ": " + (state->on ? "ON" : "OFF: processes start with collection off") +
                      ", timestamp " + std::to_string(state->timestamp) + " (" +
                      utc(state->timestamp) + ")");
  // The writers (ms-service-metric, npuprobe on|off|restart) lock with it; readers do not.
  const std::string semaphore = prefix + "_semaphore";
  sem_t *sem = sem_open(semaphore.c_str(), 0);
  if (sem == SEM_FAILED) {
    if (errno == ENOENT) {
      report.warn("control semaphore", semaphore +
                                           ": missing: the segment was not made by "
                                           "ms-service-metric or npuprobe (the next `npuprobe "
                                           "on|off` creates it)");
    } else {
      report.warn("control semaphore", semaphore + ": " + std::strerror(errno) +
                                           ": `npuprobe on|off` may fail to lock it");
    }
    return;
  }
  sem_close(sem);
  report.ok("control semaphore", semaphore + ": present");
}

}  // namespace npuprobe::cli
