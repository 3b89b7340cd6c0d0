// The checks of `npuprobe check` (docs/contract.md, "Command line"), one family per file: the CANN
// libraries (check_cann.cc), the preload and its plugins (check_preload.cc), attribution's stack
// walk and symbolizer (check_attribution.cc), the store folder and its format (check_store.cc),
// the configuration (check.cc, which loads it for all of them) and the control segment
// (check_control.cc). Each judges the environment the service WILL run with:
// this process's environment, with --dir and --config applied as `npuprobe run` applies them.
#pragma once

#include <string>

#include "check_report.h"
#include "npuprobe/config/config.h"

namespace npuprobe::cli {

struct CheckInputs {
  config::Environment environment;  // the variables the configuration was loaded from
  config::Config config;            // the configuration the service would start with
  bool config_file_named = false;   // NPUPROBE_CONFIG or SERVICE_PROF_CONFIG_PATH set
  bool dir_from_option = false;     // --dir given: `npuprobe run --dir` creates a missing folder
};

// libascendcl.so (required and optional symbols), libopapi.so, libmspti.so.
void check_cann(CheckReport &report, const CheckInputs &inputs);

// libnpuprobe.so next to this binary, its plugins, and its place in LD_PRELOAD.
void check_preload(CheckReport &report, const CheckInputs &inputs);

// The store folder (exists or can be created, writable) and the file format.
void check_store(CheckReport &report, const CheckInputs &inputs);

// Task-time mode 1: the runtime's refusals of aclprof, foreseen from the environment and seen
// by running processes (the registry).
void check_task_time(CheckReport &report, const CheckInputs &inputs);

// With attribution on: libunwind and the symbolizer plugin load.
void check_attribution(CheckReport &report, const CheckInputs &inputs);

// ms_service_metric's control segment and its semaphore.
void check_control_segment(CheckReport &report);

}  // namespace npuprobe::cli
