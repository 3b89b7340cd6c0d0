// `npuprobe check`: the preload itself. libnpuprobe.so must exist where `npuprobe run` takes it
// from (next to this binary), its plugins must sit next to the copy the service will load, and in
// a hand-written LD_PRELOAD it must come first: a library before it (libmspti.so interposes the
// same aclrt* names) sees those calls first and npuprobe only gets them through its forwarding.
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../options.h"
#include "check_elf.h"
#include "check_steps.h"

namespace npuprobe::cli {
namespace {

std::string file_name(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string folder_of(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// libnpuprobe.so or a versioned libnpuprobe.so.N, not the plugins (libnpuprobe-config.so).
bool is_npuprobe(const std::string &entry) {
  return file_name(entry).rfind("libnpuprobe.so", 0) == 0;
}

bool same_file(const std::string &a, const std::string &b) {
  char ra[PATH_MAX], rb[PATH_MAX];
  return realpath(a.c_str(), ra) != nullptr && realpath(b.c_str(), rb) != nullptr &&
         std::string(ra) == rb;
}

// Task time needs libmspti.so in the process for mode 2 (in LD_PRELOAD, or dlopen'ed by the
// application, which a check cannot see) and excludes it from LD_PRELOAD for mode 1
// (docs/config.md, "Task time"): either way a mismatch means no task-time data at all.
void check_task_time_preload(CheckReport &report, const CheckInputs &inputs,
                             const std::vector<std::string> &entries) {
  const config::TaskTimeMode mode = inputs.config.task_time.mode;
  if (mode == config::TaskTimeMode::kOff) return;
  bool mspti = false;
  for (const std::string &e : entries) mspti = mspti || file_name(e).rfind("libmspti", 0) == 0;
  if (mode == config::TaskTimeMode::kMspti && !mspti) {
    report.warn("task time", "task_time.mode 2 (MSPTI) needs libmspti.so in the process: not in "
                             "LD_PRELOAD, kernel records arrive only if the application dlopens "
                             "it, and MSPTI refuses its HCCL records (npu:hccl_duration) "
                             "without it in LD_PRELOAD (msserviceprofiler asks for it in "
                             "LD_PRELOAD, after libnpuprobe.so)");
  } else if (mode == config::TaskTimeMode::kAclprof && mspti) {
    report.warn("task time", "task_time.mode 1 (aclprof) does not start while libmspti.so is in "
                             "LD_PRELOAD; remove it or use mode 2");
  } else {
    report.ok("task time", mode == config::TaskTimeMode::kMspti
                               ? "mode 2 (MSPTI), libmspti.so in LD_PRELOAD"
                               : "mode 1 (aclprof), prof_dir " + inputs.config.task_time.prof_dir);
  }
}

// A preload of the wrong architecture (an aarch64 package on x86-64, or the reverse) is skipped
// by ld.so with one line, and the service runs uninstrumented; one that needs a newer glibc than
// the host's stops the service before main ("version `GLIBC_x' not found"). False (and one
// failure) when `path` is such a file.
bool check_loadable(CheckReport &report, const std::string &what, const std::string &path) {
  const ElfFacts facts = read_elf_facts(path);
  if (!facts.error.empty()) {
    report.fail(what, path + ": " + facts.error);
    return false;
  }
  if (facts.machine != host_machine()) {
    report.fail(what, path + " is built for " + machine_name(facts.machine) + ", this host is " +
                          machine_name(host_machine()) + ": install the " +
                          machine_name(host_machine()) + " package");
    return false;
  }
  const std::string host = gnu_get_libc_version();
  if (!facts.newest_glibc.empty() && older_glibc(host, facts.newest_glibc)) {
    report.fail(what, path + " needs glibc " + facts.newest_glibc + ", this host has " + host +
                          ": the service would not start (ld.so: version `GLIBC_" + facts.newest_glibc +
                          "' not found)");
    return false;
  }
  return true;
}

}  // namespace

void check_preload(CheckReport &report, const CheckInputs &inputs) {
  const std::string own = own_preload_path();
  if (access(own.c_str(), R_OK) == 0) {
    if (check_loadable(report, "preload", own)) report.ok("preload", own);
  } else {
    report.fail("preload", own + " not found (npuprobe run needs it next to bin/npuprobe)");
  }

  // The copy the service loads: the one LD_PRELOAD names with a path, else ours.
  std::string loaded = own;
  const std::vector<std::string> entries = preload_entries(std::getenv("LD_PRELOAD"));
  std::size_t position = entries.size();
  for (std::size_t i = 0; i < entries.size() && position == entries.size(); ++i) {
    if (is_npuprobe(entries[i])) position = i;
  }
  if (position == entries.size()) {
    report.ok("LD_PRELOAD", "not in LD_PRELOAD; use `npuprobe run`");
  } else {
    const std::string &entry = entries[position];
    std::string order;
    for (const std::string &e : entries) order += (order.empty() ? "" : " ") + file_name(e);
    if (entry.find('/') != std::string::npos && access(entry.c_str(), R_OK) != 0) {
      report.fail("LD_PRELOAD",
                  entry + " does not exist: ld.so ignores it and nothing is measured");
    } else if (position != 0) {
      report.warn("LD_PRELOAD", "order is " + order +
                                    ": put libnpuprobe.so first (`npuprobe run` does); calls the "
                                    "libraries before it intercept reach npuprobe only through "
                                    "their forwarding");
    } else {
      report.ok("LD_PRELOAD", "libnpuprobe.so first (" + order + ")");
    }
    if (entry.find('/') != std::string::npos && access(entry.c_str(), R_OK) == 0) {
      loaded = entry;
      if (!same_file(entry, own)) check_loadable(report, "LD_PRELOAD", entry);
      if (!same_file(entry, own)) {
        report.warn("LD_PRELOAD",
                    entry + " is not this npuprobe's " + own + " (another build or version)");
      }
    }
  }

  check_task_time_preload(report, inputs, entries);

  // Plugins the preload dlopen()s from its own folder (base/src/plugin_loader.cc).
  const std::string plugins = folder_of(loaded);
  if (inputs.config_file_named) {
    const std::string path = plugins + "libnpuprobe-config.so";
    if (access(path.c_str(), R_OK) == 0) {
      if (check_loadable(report, "config plugin", path)) report.ok("config plugin", path);
    } else {
      report.fail("config plugin", path + " not found: the configuration file would be ignored");
    }
  }
  if (inputs.config.store.dir.empty() && inputs.config.exposer.enabled()) {
    const std::string path = plugins + "libnpuprobe-exposer.so";
    if (access(path.c_str(), R_OK) == 0) {
      if (check_loadable(report, "exposer plugin", path)) report.ok("exposer plugin", path);
    } else {
      report.warn("exposer plugin", path + " not found: the embedded /metrics on " +
                                        inputs.config.exposer.listen + " would not be served");
    }
  }
}

}  // namespace npuprobe::cli
