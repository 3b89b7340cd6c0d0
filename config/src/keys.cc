// The table of keys.h: every configuration key, once. The row order is docs/config.md's, and the
// order in which the environment is read (and its problems are reported).
#include "npuprobe/config/keys.h"

#include "checks.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {
namespace {

using A = Applies;
using J = JsonRule;
using S = Spelling;

std::string check_prefix(std::string_view value) {
  return valid_metric_prefix(value) ? std::string() : detail::bad_prefix(value);
}

std::string check_listen(std::string_view value) {
  return detail::valid_listen(value) ? std::string() : detail::bad_listen(value);
}

constexpr const char kReservedLabels[] =
    "names `[a-zA-Z_][a-zA-Z0-9_]*`, not `__*`, not one of npuprobe's own labels (`dp`, "
    "`device`, `api`, `code`, `op`, `reason`, `type`, `version`, `format`, `mode`, "
    "`local_device`, `process_pid`, `model_name`, `le`, `quantile`)";

constexpr const char kSkipModulesDefault[] =
    "built-in";
constexpr const char kSkipModulesMeaning[] =
    "parts of a module's file name that are never the site (their frames are named without "
    "source lines); replaces the built-in list (CANN: `libascendcl`, `libacl_`, `libopapi`, "
    "`libnnopbase`, `libruntime`, `libge_`, `libhccl`, `libmspti`, `libascend`, `libmsprof`; "
    "npuprobe; libc, libstdc++, libgcc_s, libunwind; Python: `python`, `libffi`, `_ctypes`)";

std::vector<Key> make_keys() {
  // name, in_yaml, env, json, json_rule, field, spelling, low, high, applies,
  // type_text, default_text, values_text, meaning, check
  return {
      {"enabled", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.enabled; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "bool", "`true`", "",
       "`false`: start with recording off (wrappers forward; the runtime switch can turn it "
       "on); after start the switch alone decides",
       nullptr},
      {"disabled", false, "NPUPROBE_DISABLE", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.disabled; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "bool", "`false`",
       "a boolean; any other value is refused and disables",
       "fully inert: every call forwarded untouched, no thread, no file; also sets `enabled` "
       "to its opposite",
       nullptr},
      {"metric_prefix", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.metric_prefix; }, S::kPlain, 0, 0,
       A::kToNewProcesses, "string", "`vllm_profiling_`", "`[a-zA-Z_:][a-zA-Z0-9_:]*`",
       "prefix of every metric name", &check_prefix},
      {"labels", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.labels; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "map string -> string", "`{}`", kReservedLabels,
       "extra constant labels on every series", nullptr},
      {"store.dir", true, "PROMETHEUS_MULTIPROC_DIR", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.store.dir; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "string", "`\"\"`", "a folder",
       "store folder; `\"\"` = a private folder and the embedded exposer", nullptr},
      {"store.format", true, "NPUPROBE_STORE_FORMAT", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.store.format; }, S::kPlain, 0, 0,
       A::kToNewProcesses, "string", "`auto`", "`auto`, `v1`, `v2`",
       "prometheus_client file format; `auto` follows the files Python already wrote, else v2",
       nullptr},
      {"store.flush_interval_ms", true, "NPUPROBE_FLUSH_MS", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.store.flush_interval_ms; }, S::kPlain, 10, 600000,
       A::kToNewProcesses, "int", "`500`", "", "publish interval", nullptr},
      {"exposer.listen", true, "NPUPROBE_LISTEN", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.exposer.listen; }, S::kPlain, 0, 0,
       A::kToNewProcesses, "string", "`127.0.0.1:9464`",
       "`host:port` (port 0..65535, `[v6]` hosts allowed) or `off`", "embedded exposer address",
       &check_listen},
      {"logging.level", true, "NPUPROBE_LOG_LEVEL", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.logging.level; }, S::kPlain, 0, 0, A::kAtOnce,
       "string", "`info`",
       "`trace`, `debug`, `info`, `warn` (`warning`), `error`, `critical`, `off`", "log level",
       nullptr},
      {"logging.file", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.logging.file; }, S::kPlain, 0, 0, A::kAtOnce,
       "string", "`\"\"`", "",
       "log file, appended to; `\"\"` = stderr. Only a regular file owned by the process's "
       "user, never through a link: otherwise one line on stderr and the log stays there "
       "([docs/hostile-host.md](hostile-host.md))",
       nullptr},
      {"dp", true, "VLLM_DP_RANK", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.dp; }, S::kPlain, 0, 0, A::kToNewProcesses, "string",
       "`\"\"`", "any string (a label value, cut to 128 bytes like every label value)",
       "the `dp` label; `\"\"` = VLLM_DP_RANK, else the last `DP<n>` of the process title (read "
       "again before every publish), else 0",
       nullptr},
      {"op_label", true, "NPUPROBE_OP_LABEL", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.op_label; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "bool", "`false`", "",
       "the per-operation `op` label on `npu:op_launches` and `npu:op_launch_latency` "
       "([docs/contract.md](contract.md))",
       nullptr},
      {"attribution.enabled", true, "NPUPROBE_ATTRIBUTION", nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.enabled; }, S::kPlain, 0, 0,
       A::kToNewProcesses, "bool", "`true`", "",
       "call-site attribution of blocking waits and slow launches (see \"Attribution\" below)",
       nullptr},
      {"attribution.slow_launch_us", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.slow_launch_us; }, S::kPlain, 1,
       10000000, A::kToNewProcesses, "int", "`1000`", "",
       "a launch-class call that spends at least this long in the runtime has its stack "
       "captured (`npu:slow_launches`)",
       nullptr},
      {"attribution.sync_captures_per_s", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.sync_captures_per_s; }, S::kPlain, 0,
       1000000, A::kToNewProcesses, "int", "`1000`", "",
       "blocking waits whose stack is captured per second at most (`npu:sync_sites`); past it "
       "a wait is only counted as not captured; 0 = none",
       nullptr},
      {"attribution.max_depth", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.max_depth; }, S::kPlain, 1, 64,
       A::kToNewProcesses, "int", "`32`", "",
       "frames kept per stack; a deeper stack is kept truncated and marked so", nullptr},
      {"attribution.max_sites", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.max_sites; }, S::kPlain, 1, 1000,
       A::kToNewProcesses, "int", "`20`", "",
       "sites per kind with their own `site` label; later ones are counted under "
       "`site=\"other\"`",
       nullptr},
      {"attribution.skip_modules", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.attribution.skip_modules; }, S::kPlain, 0, 0,
       A::kToNewProcesses, "list of strings", kSkipModulesDefault, "non-empty",
       kSkipModulesMeaning, nullptr},
      {"phases.min_launches_per_step", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.phases.min_launches_per_step; }, S::kPlain, 0,
       1000000, A::kAtOnce, "int", "`1`", "",
       "fewest launches and collectives for a span to count as a step (phase detection)",
       nullptr},
      {"hooks.launch", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.hooks.launch; }, S::kPlain, 0, 0, A::kAtOnce, "bool",
       "`true`", "",
       "measure launch-class calls: aclrtLaunchKernel*, aclop*, aclmdlExecuteAsync, "
       "aclmdlRIExecuteAsync, aclrtMemcpyAsync and the aclnn ops dlsym hands out",
       nullptr},
      {"hooks.sync", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.hooks.sync; }, S::kPlain, 0, 0, A::kAtOnce, "bool",
       "`true`", "",
       "measure blocking waits (aclrtSynchronize*, aclrtMemcpy, aclmdlExecute) and the event "
       "calls they need (create, record, destroy); off = no step ever closes",
       nullptr},
      {"hooks.memory", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.hooks.memory; }, S::kPlain, 0, 0, A::kAtOnce, "bool",
       "`true`", "", "measure aclrtMalloc*, aclrtFree* and the host/physical variants",
       nullptr},
      {"hooks.dlsym", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.hooks.dlsym; }, S::kPlain, 0, 0, A::kAtOnce, "bool",
       "`true`", "",
       "the dlsym interposer; off = every lookup gets exactly what it found (calls through "
       "such pointers bypass npuprobe)",
       nullptr},
      {"hooks.skip", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.hooks.skip; }, S::kPlain, 0, 0, A::kAtOnce,
       "list of strings", "`[]`", "non-empty names",
       "ACL functions npuprobe forwards untouched (e.g. `aclrtMallocAlign32`), or aclnn ops "
       "dlsym hands out unwrapped (e.g. `aclnnAdd`); other names are reported",
       nullptr},
      {"buckets", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.buckets; }, S::kPlain, 0, 0, A::kToNewProcesses,
       "map family -> list of numbers", "built-in",
       "finite, strictly increasing, at least one; the family a metric name such as "
       "`npu:launch_latency` (without the prefix)",
       "histogram bucket edges per family (`buckets.<family>`); `+Inf` is always added",
       nullptr},
      {"memory.sample_hz", true, nullptr, "npu_memory_usage_freq", J::kWhenEnabledMinusOneOff,
       [](Config &c) -> Field { return &c.memory.sample_hz; }, S::kPlain, 0, 50,
       A::kToNewProcesses, "int", "`0`", "", "device memory sampling rate; 0 = off", nullptr},
      {"task_time.mode", true, nullptr, "acl_task_time", J::kWhenEnabled,
       [](Config &c) -> Field { return &c.task_time.mode; }, S::kPlain, 0, 2,
       A::kToNewProcesses, "int", "`0`", "0, 1, 2",
       "0 off, 1 aclprof, 2 MSPTI (\"Task time\" below; [docs/ascend-stack.md](ascend-stack.md), "
       "section 7)",
       nullptr},
      {"task_time.level", true, nullptr, "acl_prof_task_time_level", J::kPlain,
       [](Config &c) -> Field {
         return TaskTimeLevelField{&c.task_time.level, &c.task_time.level_duration_s};
       },
       S::kPlain, 0, 0, A::kToNewProcesses, "string", "`L0`",
       "`L0` or `L1`, optionally `,N` or `;N` with N 1..999",
       "aclprof level; N = seconds after which only aclprof stops (`level_duration_s`, 0 = "
       "until the end)",
       nullptr},
      {"task_time.prof_dir", true, nullptr, "prof_dir", J::kPlain,
       [](Config &c) -> Field { return &c.task_time.prof_dir; }, S::kNonEmptyText, 0, 0,
       A::kToNewProcesses, "string", "`$HOME/.ms_service_profiler`", "",
       "where task-time data is written (`\"\"` keeps the default)", nullptr},
      {"task_time.timelimit_s", true, nullptr, "timelimit", J::kPlain,
       [](Config &c) -> Field { return &c.task_time.timelimit_s; }, S::kPlain, 0, 7200,
       A::kToNewProcesses, "int", "`0`", "",
       "seconds after which all task-time collection stops; 0 = unlimited", nullptr},
      {"task_time.api_filter", true, nullptr, "api_filter", J::kPlain,
       [](Config &c) -> Field { return &c.task_time.api_filter; }, S::kFilter, 0, 0,
       A::kToNewProcesses, "string or list", "`\"\"`",
       "`;`-separated substrings (the full-width `；` too)",
       "mode 2: collect MSPTI API records and keep those whose name contains one, as "
       "`npu:api_exec_duration{api}`; empty = API records are not collected",
       nullptr},
      {"task_time.kernel_filter", true, nullptr, "kernel_filter", J::kPlain,
       [](Config &c) -> Field { return &c.task_time.kernel_filter; }, S::kFilter, 0, 0,
       A::kToNewProcesses, "string or list", "`\"\"`", "as above",
       "the same for kernel records", nullptr},
      {"task_time.mspti_buffers", true, nullptr, nullptr, J::kPlain,
       [](Config &c) -> Field { return &c.task_time.mspti_buffers; }, S::kPlain, 1, 512,
       A::kToNewProcesses, "int", "`4`", "",
       "2 MiB activity buffers npuprobe lends MSPTI (mode 2; MSPTI warns for every smaller "
       "one); records MSPTI finds no buffer for are counted in "
       "`npuprobe:dropped{reason=\"mspti_buffer\"}`",
       nullptr},
  };
}

}  // namespace

const std::vector<Key> &keys() {
  static const std::vector<Key> table = make_keys();
  return table;
}

}  // namespace npuprobe::config
