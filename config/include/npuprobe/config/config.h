// The configuration snapshot (docs/config.md): one immutable Config built from, in order of
// precedence, environment variables, the YAML file named by NPUPROBE_CONFIG, the
// msserviceprofiler JSON named by SERVICE_PROF_CONFIG_PATH, then defaults.
//
// Loading never throws and never stops the application: every mistake (unknown key, wrong type,
// out-of-range value, unsorted buckets, bad metric prefix, unreadable or malformed file) becomes
// a Diagnostic naming the file, the line and the dotted key; the bad value keeps what the lower
// layers gave it (a malformed or unreadable file is ignored as a whole).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/base/log.h"
#include "npuprobe/base/store_format.h"

namespace npuprobe::config {

// The environment variables the loader reads, as a plain map so tests need not touch the real
// environment. An empty value counts as unset.
struct Environment {
  std::map<std::string, std::string> vars;

  // The value of `name`, or nullptr when unset or empty.
  const std::string *get(std::string_view name) const;
  // A snapshot of the variables npuprobe reads (keys.h, environment_variable_names()) from
  // the real environment.
  static Environment from_process();
};

struct StoreConfig {
  std::string dir;  // "" = a private folder and the embedded exposer (PROMETHEUS_MULTIPROC_DIR)
  base::FormatPreference format = base::FormatPreference::kAuto;
  int flush_interval_ms = 500;  // 10..600000
};

struct ExposerConfig {
  std::string listen = "127.0.0.1:9464";  // host:port, or "off"
  bool enabled() const { return listen != "off"; }
};

struct PhasesConfig {
  int min_launches_per_step = 1;  // 0..1000000
};

struct HooksConfig {
  bool launch = true;
  bool sync = true;
  bool memory = true;
  bool dlsym = true;               // the dlsym interposer
  std::vector<std::string> skip;   // function names never wrapped
};

struct MemoryConfig {
  int sample_hz = 0;  // 0 = off, 1..50
};

// Call-site attribution (docs/config.md "Attribution"): stacks of blocking waits and of slow
// launches, captured with libunwind and symbolized with libdw on the publisher thread.
struct AttributionConfig {
  bool enabled = true;
  int slow_launch_us = 1000;         // a launch at least this long is captured, 1..10000000
  int sync_captures_per_s = 1000;    // waits captured per second at most, 0..1000000 (0: none)
  int max_depth = 32;                // frames kept per stack, 1..64
  int max_sites = 20;                // labelled sites per kind (the rest: "other"), 1..1000
  std::vector<std::string> skip_modules;  // module name parts that are never the site; empty:
                                          // the built-in list (CANN, npuprobe, libc, Python)
};

enum class TaskTimeMode { kOff = 0, kAclprof = 1, kMspti = 2 };
enum class TaskTimeLevel { kL0, kL1 };

struct TaskTimeConfig {
  TaskTimeMode mode = TaskTimeMode::kOff;
  TaskTimeLevel level = TaskTimeLevel::kL0;
  int level_duration_s = 0;  // 0 = until the end; else 1..999 s after which aclprof stops
  std::string prof_dir;      // "" = $HOME/.ms_service_profiler (resolved by load_config)
  int timelimit_s = 0;       // 0 = unlimited, else 1..7200 s after which all collection stops
  std::vector<std::string> api_filter;     // substrings of API record names; empty = keep all
  std::vector<std::string> kernel_filter;  // substrings of kernel record names; empty = keep all
  int mspti_buffers = 4;  // 2 MiB activity buffers lent to MSPTI (mode 2), 1..512
};

struct LoggingConfig {
  base::LogLevel level = base::LogLevel::kInfo;
  std::string file;  // "" = stderr
};

// The fields are the keys of the table in keys.h, which says for each its YAML key, variable,
// msserviceprofiler field, range, default and whether a reload applies it.
struct Config {
  bool enabled = true;
  bool disabled = false;  // NPUPROBE_DISABLE: fully inert (no YAML key)
  std::string metric_prefix = "vllm_profiling_";
  std::map<std::string, std::string> labels;  // extra constant labels on every series
  StoreConfig store;
  ExposerConfig exposer;
  PhasesConfig phases;
  HooksConfig hooks;
  // Histogram bucket edges per family name (strictly increasing, finite; +Inf is implicit).
  // A family not listed keeps its built-in buckets.
  std::map<std::string, std::vector<double>> buckets;
  MemoryConfig memory;
  AttributionConfig attribution;
  TaskTimeConfig task_time;
  LoggingConfig logging;
  bool op_label = false;
  std::string dp;  // "" = not configured: VLLM_DP_RANK unset and no `dp` key (caller derives it)

  std::uint64_t generation = 0;      // 1 for the first load, +1 on every applied reload
  std::vector<std::string> sources;  // what this snapshot was built from, lowest first
};

// One configuration problem. to_string(): "<file>:<line>: <key>: <text>" (":<line>" left out
// when unknown, "<key>: " when the problem concerns the whole file). Environment variables use
// file "environment" and the variable name as key.
struct Diagnostic {
  std::string file;
  int line = 0;
  std::string key;
  std::string text;

  std::string to_string() const;
  bool operator==(const Diagnostic &other) const;
};

struct LoadResult {
  Config config;
  std::vector<Diagnostic> messages;
  bool kept_last_good = false;  // reload(): a file was unreadable or malformed; config = last good

  std::vector<std::string> message_strings() const;
};

// Builds the snapshot (generation 1) from the files, the environment and the defaults. Never
// throws. Needs the file loaders (npuprobe_config, with yaml-cpp).
LoadResult load_config(const Environment &environment);
// The snapshot (generation 1) of the environment and the defaults alone, by the same code that
// load_config applies them with: the preload uses it when no file is named, so that a variable
// means the same whether or not a file is. In npuprobe_control.
LoadResult load_environment_only(const Environment &environment);

// Loads again. When the YAML or the JSON file is unreadable or malformed the result holds
// `last_good` unchanged (kept_last_good, plus the messages); otherwise the new snapshot with
// generation last_good.generation + 1. Never throws.
LoadResult reload(const Config &last_good, const Environment &environment);

// Logs problems at warn level, tagged npuprobe by the log sink (base/log.h), each as to_string()
// (the text `npuprobe check` prints after "FAIL  "): the first kShownProblems, then one line
// "<N> more configuration problems suppressed (...)", so that a file full of mistakes is
// bounded in the log and still says how much is wrong.
constexpr std::size_t kShownProblems = 5;
void log_problems(const std::vector<Diagnostic> &problems);
// log_problems(result.messages), plus a line when the last good configuration was kept.
void log_diagnostics(const LoadResult &result);

const char *to_string(TaskTimeMode mode);
const char *to_string(TaskTimeLevel level);

}  // namespace npuprobe::config
