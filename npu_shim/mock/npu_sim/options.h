// npu-sim command line (contract.md, "npu-sim").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim {

enum class Binding { Linked, Dlsym, Opapi };
enum class SyncKind { Stream, Device, Event, Memcpy };
enum class LaunchApi { Aclnn, Aclop, Kernel, Mixed };

struct Options {
  uint32_t steps = 10;
  uint32_t launches = 8;
  uint32_t device_us = 20;
  uint32_t host_gap_us = 200;
  uint32_t launch_host_us = 0;
  Binding binding = Binding::Linked;
  LaunchApi launch_api = LaunchApi::Aclnn;
  bool task_queue = false;
  bool graph = false;
  std::vector<int> devices{0};
  uint64_t alloc_bytes = 0;
  bool expandable = false;
  SyncKind sync = SyncKind::Stream;
  bool async_sched = false;
  // Attribution workloads (issue 9), counted over the launches a device makes outside a graph
  // capture (a graph replay is one launch); 0 = off.
  uint32_t stray_sync_every = 0;   // every Nth launch is followed by npu_sim_stray_sync
  uint32_t slow_launch_every = 0;  // every Nth launch is made by npu_sim_slow_launch
  uint32_t slow_launch_us = 2000;  // host time of one slow launch
  std::string report;
};

// Parses argv; on a usage error prints the reason and usage to stderr and returns false.
bool parse_options(int argc, char **argv, Options *out);

const char *to_string(Binding b);
const char *to_string(SyncKind s);
const char *to_string(LaunchApi a);

}  // namespace npusim
