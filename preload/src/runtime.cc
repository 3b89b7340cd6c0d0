#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>

#include "aclnn_thunks.h"
#include "aclprof_session.h"
#include "attribution_loader.h"
#include "capture_streams.h"
#include "config_file.h"
#include "embedded_exposer.h"
#include "hook.h"
#include "hook_groups.h"
#include "log_sink.h"
#include "memory_sampler.h"
#include "mspti_session.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/private_folder.h"
#include "npuprobe/store/publisher.h"
#include "op_libraries.h"
#include "real_dlsym.h"
#include "runtime_switch.h"
#include "self_metrics.h"
#include "settings.h"
#include "status_entry.h"

namespace npuprobe::preload {

thread_local ThreadState tls_thread_state __attribute__((tls_model("initial-exec"))) = {0, 0, 0};
std::atomic<int> g_runtime_state{static_cast<int>(RuntimeState::kIdle)};
std::atomic<bool> g_measuring{true};
CaptureStreams g_capture_streams;
CaptureStreams g_update_streams;

namespace {

using base::log_message;
using base::LogLevel;

// Everything below is created once and deliberately never destroyed: wrappers may still run
// on other threads while the process exits, after static destructors.
struct Runtime {
  Settings settings;
  store::MetricRegistry *registry = nullptr;
  probes::Probes *probes = nullptr;
  store::Publisher *publisher = nullptr;
  SelfMetrics *self = nullptr;
  EmbeddedExposer *exposer = nullptr;
  RuntimeSwitch *runtime_switch = nullptr;
  config::Config *config = nullptr;  // the YAML/JSON snapshot, when a file is named
  StatusEntry *status = nullptr;     // this process in `npuprobe status`
  npu_shim::NpuFunctions *npu = nullptr;  // ACL functions npuprobe calls itself
  MemorySampler *memory_sampler = nullptr;  // memory.sample_hz > 0
  AclprofSession *aclprof = nullptr;        // task_time.mode 1
  MsptiSession *mspti = nullptr;            // task_time.mode 2
  std::uint32_t api_ids[kHookCount] = {};
};

// attribution.enabled and libunwind loaded: read by the wrappers once runtime_active() said
// yes (set before the state turns kRunning, whose release store publishes it).
attribution::Attributor *g_attributor_ptr = nullptr;

// A pointer, not an object: wrappers may run inside another library's constructor before
// npuprobe's own static initialisers did (docs/interposition.md, "Init order and lazy start").
Runtime *g_runtime_ptr = nullptr;

void set_state(RuntimeState state) {
  g_runtime_state.store(static_cast<int>(state), std::memory_order_release);
  if (state == RuntimeState::kOff) set_hooks_forward_only(true);
}

void before_fork() {
  log_sink_before_fork();
  if (g_runtime_ptr == nullptr || g_runtime_ptr->publisher == nullptr) return;
  g_runtime_ptr->publisher->prepare_fork();
  g_runtime_ptr->registry->prepare_fork();
}

void after_fork_in_parent() {
  log_sink_after_fork();
  if (g_runtime_ptr == nullptr || g_runtime_ptr->publisher == nullptr) return;
  g_runtime_ptr->registry->resume_after_fork_in_parent();
  g_runtime_ptr->publisher->resume_after_fork_in_parent();
}

// The child must never publish the parent's counts: everything restarts from zero under the
// child's pid, and its publisher thread starts on its first ACL call.
void after_fork_in_child() {
  log_sink_after_fork();
  base::reset_log_after_fork();
  reset_hooks_lock_after_fork();
  if (g_runtime_ptr == nullptr || g_runtime_ptr->publisher == nullptr) return;
  g_runtime_ptr->registry->reset_after_fork();
  g_runtime_ptr->publisher->reset_after_fork();
  g_runtime_ptr->probes->reset_after_fork();
  if (g_runtime_ptr->exposer != nullptr) g_runtime_ptr->exposer->forget_after_fork();
  g_runtime_ptr->status->forget_after_fork();
  if (g_runtime_ptr->memory_sampler != nullptr) g_runtime_ptr->memory_sampler->forget_after_fork();
  if (g_runtime_ptr->aclprof != nullptr) g_runtime_ptr->aclprof->forget_after_fork();
  if (g_runtime_ptr->mspti != nullptr) g_runtime_ptr->mspti->forget_after_fork();
  if (g_attributor_ptr != nullptr) g_attributor_ptr->reset_after_fork();
  // Op and api ids of the aclnn thunks stay valid: the probes keep their names across fork.
  g_capture_streams.clear();
  g_update_streams.clear();
  if (g_runtime_state.load() == static_cast<int>(RuntimeState::kRunning)) {
    set_state(RuntimeState::kForked);
  }
}

bool task_time_collecting(const Runtime &r) {
  return (r.aclprof != nullptr && r.aclprof->profiling()) ||
         (r.mspti != nullptr && r.mspti->collecting());
}

// npuprobe's own use of the NPU (memory sampling, aclprof, MSPTI) ends: before the
// application's aclFinalize and at exit. The last MSPTI records reach the probes.
void stop_npu_collection() {
  Runtime &r = *g_runtime_ptr;
  if (r.memory_sampler != nullptr) r.memory_sampler->stop();
  if (r.aclprof != nullptr) r.aclprof->finish();
  if (r.mspti != nullptr) r.mspti->finish();
  r.self->set_task_time_active(false);
}

// Normal exit: stop the thread (it only ever waits on its own condition variable or writes
// files, so the join is bounded), flush a last time, remove live gauge files.
void at_exit() {
  if (g_runtime_state.load() != static_cast<int>(RuntimeState::kRunning)) return;
  set_state(RuntimeState::kOff);
  stop_npu_collection();
  g_runtime_ptr->publisher->stop();  // joins the publisher thread: the exposer is ours alone now
  if (g_runtime_ptr->exposer != nullptr) g_runtime_ptr->exposer->stop();
  g_runtime_ptr->status->remove();
  base::report_suppressed_log_lines();
}

bool same_task_time(const config::TaskTimeConfig &a, const config::TaskTimeConfig &b) {
  return a.mode == b.mode && a.level == b.level && a.level_duration_s == b.level_duration_s &&
         a.prof_dir == b.prof_dir && a.timelimit_s == b.timelimit_s &&
         a.api_filter == b.api_filter && a.kernel_filter == b.kernel_filter &&
         a.mspti_buffers == b.mspti_buffers;
}

bool same_attribution(const config::AttributionConfig &a, const config::AttributionConfig &b) {
  return a.enabled == b.enabled && a.slow_launch_us == b.slow_launch_us &&
         a.sync_captures_per_s == b.sync_captures_per_s && a.max_depth == b.max_depth &&
         a.max_sites == b.max_sites && a.skip_modules == b.skip_modules;
}

// attribution.*: stacks of waits and slow launches (null when off or without libunwind).
attribution::Attributor *start_attribution(const Settings &s, const std::string &folder,
                                           store::MetricRegistry &registry) {
  if (!s.attribution.enabled) return nullptr;
  const attribution::BacktraceFn backtrace = load_unwinder();
  if (backtrace == nullptr) return nullptr;
  attribution::AttributorOptions o;
  o.metric_prefix = s.metric_prefix;
  o.dp = s.dp;
  for (int i = 0; i < probes::kSyncApiCount; ++i) {
    o.sync_apis.emplace_back(probes::to_string(static_cast<probes::SyncApi>(i)));
  }
  for (int i = 0; i < probes::kLaunchApiCount; ++i) {
    o.launch_apis.emplace_back(probes::to_string(static_cast<probes::LaunchApi>(i)));
  }
  o.slow_launch_ns = static_cast<std::uint64_t>(s.attribution.slow_launch_us) * 1000u;
  g_slow_launch_ns = o.slow_launch_ns;  // the wrappers' one comparison (attribute_launch)
  o.sync_captures_per_s = static_cast<std::uint32_t>(s.attribution.sync_captures_per_s);
  o.max_depth = s.attribution.max_depth;
  o.max_sites = static_cast<std::size_t>(s.attribution.max_sites);
  o.skip_modules = s.attribution.skip_modules;
  o.sites_dir = folder;
  return new attribution::Attributor(registry, std::move(o), backtrace, &load_frame_resolver);
}

// The settings a running process cannot change: they name its files or shape its series.
std::string fixed_for_life_changes(const Settings &now, const Settings &fresh) {
  std::string changed;
  const auto note = [&](bool differs, const char *key) {
    if (differs) changed += changed.empty() ? key : std::string(", ") + key;
  };
  note(now.metric_prefix != fresh.metric_prefix, "metric_prefix");
  note(now.labels != fresh.labels, "labels");
  note(now.buckets != fresh.buckets, "buckets");
  note(now.directory != fresh.directory, "store.dir");
  note(now.format != fresh.format, "store.format");
  note(now.flush_interval != fresh.flush_interval, "store.flush_interval_ms");
  note(now.listen != fresh.listen, "exposer.listen");
  note(now.op_label != fresh.op_label, "op_label");
  note(now.dp != fresh.dp, "dp");
  note(!same_task_time(now.task_time, fresh.task_time), "task_time");
  note(!same_attribution(now.attribution, fresh.attribution), "attribution");
  return changed;
}

// `npuprobe restart`: what can change in a running process is applied (log level and file,
// hooks, phases.min_launches_per_step); the rest is said to need a new process.
void reload_settings() {
  Runtime &r = *g_runtime_ptr;
  Settings fresh = read_settings();
  if (r.config != nullptr) {
    config::LoadResult loaded;
    if (load_config_file(r.config, &loaded)) {
      *r.config = loaded.config;
      apply_config(loaded.config, &fresh);
      install_log_sink(fresh.log_file);
      log_config_messages(loaded);
      apply_hooks_config(loaded.config.hooks);
      // At the old level: the line that says a new level applies is always seen.
      log_message(LogLevel::kInfo, "configuration generation %llu applied%s",
                  static_cast<unsigned long long>(loaded.config.generation),
                  loaded.kept_last_good ? " (a file was unusable: the last good one is kept)"
                                        : "");
    }
  }
  base::set_log_level(fresh.log_level);
  r.probes->set_min_launches_per_step(fresh.min_launches_per_step);
  const std::string fixed = fixed_for_life_changes(r.settings, fresh);
  if (!fixed.empty()) {
    log_message(LogLevel::kWarn, "configuration reload: %s changed; applies to new processes only",
                fixed.c_str());
  }
  r.settings.log_level = fresh.log_level;
  r.settings.log_file = fresh.log_file;
  r.settings.min_launches_per_step = fresh.min_launches_per_step;
}

// The private folder, or "" when there is none to use. One that another user made first (or a
// link, or one writable by others) is never written into: this process then gets a fresh
// private folder of its own, which the other processes of the session do not share.
std::string store_folder(const Settings &s) {
  if (!s.directory.empty()) return s.directory;
  const std::string folder = store::private_folder_path();
  std::string error;
  if (store::prepare_private_folder(folder, &error)) return folder;
  std::string fresh, fresh_error;
  if (store::make_fresh_private_folder(folder, &fresh, &fresh_error)) {
    log_message(LogLevel::kError,
                "private store folder refused: %s; this process publishes into %s instead",
                error.c_str(), fresh.c_str());
    return fresh;
  }
  log_message(LogLevel::kError,
              "private store folder refused: %s; no fresh one either (%s): npuprobe stays off",
              error.c_str(), fresh_error.c_str());
  return {};
}

// libmspti interposes many of the same aclrt* names; whichever comes first in LD_PRELOAD sees
// those calls first (docs/ascend-stack.md, section 7, MSPTI row; docs/interposition.md, "Other
// preloads"). Said once, at start.
void check_preload_order() {
  const char *preload = getenv("LD_PRELOAD");
  if (preload == nullptr) return;
  const std::string list = preload;
  const std::size_t mspti = list.find("libmspti");
  const std::size_t self = list.find("libnpuprobe");
  if (mspti != std::string::npos && self != std::string::npos && mspti < self) {
    log_message(LogLevel::kWarn,
                "libmspti precedes libnpuprobe.so in LD_PRELOAD: the calls it intercepts reach "
                "npuprobe only through its forwarding; put libnpuprobe.so first (`npuprobe run` "
                "does)");
  }
}

// npuprobe's own CLI looks ACL functions up (`npuprobe check`) and may run with libnpuprobe.so
// in its LD_PRELOAD (inherited from a shell set up for the application): it must not measure
// itself, publish files or bind the exposer.
bool is_npuprobe_cli() {
  return strcmp(program_invocation_short_name, "npuprobe") == 0;
}

bool start_everything() {
  if (is_npuprobe_cli()) return false;
  g_runtime_ptr = new Runtime();
  Runtime &r = *g_runtime_ptr;
  r.settings = read_settings();
  base::set_log_level(r.settings.log_level);
  bool logged = false;
  if (config_file_named()) {
    config::LoadResult loaded;
    if (load_config_file(nullptr, &loaded)) {
      r.config = new config::Config(loaded.config);
      apply_config(loaded.config, &r.settings);
      base::set_log_level(r.settings.log_level);
      install_log_sink(r.settings.log_file);
      log_config_messages(loaded);  // the environment's problems included
      logged = true;
      apply_hooks_config(loaded.config.hooks);
    }
  }
  install_log_sink(r.settings.log_file);  // stderr when no file is named
  if (!logged) config::log_problems(r.settings.environment_problems);
  if (!r.settings.start_on) set_measuring(false);
  if (r.settings.disabled) {
    log_message(LogLevel::kInfo, "disabled by NPUPROBE_DISABLE: every call is forwarded untouched");
    return false;
  }
  check_preload_order();
  const std::string folder = store_folder(r.settings);
  if (folder.empty()) return false;  // no store: every call is forwarded untouched
  r.registry = new store::MetricRegistry();
  probes::ProbeOptions options;
  options.metric_prefix = r.settings.metric_prefix;
  options.dp = r.settings.dp;
  options.op_label = r.settings.op_label;
  options.min_launches_per_step = r.settings.min_launches_per_step;
  options.buckets = r.settings.buckets;
  options.task_time = r.settings.task_time.mode == config::TaskTimeMode::kMspti;
  options.kernel_filter = r.settings.task_time.kernel_filter;
  options.api_filter = r.settings.task_time.api_filter;
  r.probes = new probes::Probes(*r.registry, options);
  for (int i = 0; i < kHookCount; ++i) {
    r.api_ids[i] = r.probes->register_api(hook_name(static_cast<HookId>(i)));
  }
  r.self = new SelfMetrics(*r.registry, r.settings);
  g_attributor_ptr = start_attribution(r.settings, folder, *r.registry);
  if (r.settings.directory.empty() && r.settings.listen != "off") {
    r.exposer = new EmbeddedExposer(r.settings.listen, folder, r.settings.format);
  }
  store::PublisherOptions publisher_options;
  publisher_options.store = {folder, r.settings.format, "",
                             {r.settings.labels.begin(), r.settings.labels.end()}};
  publisher_options.interval = r.settings.flush_interval;
  r.runtime_switch = new RuntimeSwitch(config::control_prefix_from_environment());
  r.runtime_switch->poll();  // an OFF switch applies from the first call on
  // note: RTLD_NEXT from npuprobe: the runtime's own definitions, never npuprobe's wrappers, so
  // that npuprobe's calls are not counted as the application's.
  r.npu = new npu_shim::NpuFunctions([](const char *name) { return lookup_symbol(RTLD_NEXT, name); });
  if (r.settings.memory_sample_hz > 0) {
    r.memory_sampler = new MemorySampler(*r.npu, r.settings.memory_sample_hz);
  }
  if (r.settings.task_time.mode == config::TaskTimeMode::kAclprof) {
    r.aclprof = new AclprofSession(*r.npu, r.settings.task_time);
  } else if (r.settings.task_time.mode == config::TaskTimeMode::kMspti) {
    r.mspti = new MsptiSession(*r.npu, r.settings.task_time, *r.probes);
  }
  publisher_options.before_flush = [] {
    Runtime &rt = *g_runtime_ptr;
    if (rt.runtime_switch->poll()) reload_settings();
    base::report_suppressed_log_lines();
    const bool measuring = g_measuring.load(std::memory_order_relaxed);
    const std::uint64_t devices = g_devices_used.load(std::memory_order_relaxed);
    if (rt.memory_sampler != nullptr && measuring) rt.memory_sampler->before_flush(devices, *rt.probes);
    if (rt.aclprof != nullptr) rt.aclprof->before_flush(devices, measuring);
    if (rt.mspti != nullptr) rt.mspti->before_flush(measuring);
    rt.self->set_task_time_active(task_time_collecting(rt));
    g_runtime_ptr->probes->before_flush();
    if (g_attributor_ptr != nullptr) g_attributor_ptr->before_flush();
    if (g_runtime_ptr->exposer != nullptr) g_runtime_ptr->exposer->try_serve();
  };
  r.status = new StatusEntry(folder, r.settings.dp);
  publisher_options.after_flush = [](double seconds, bool ok) {
    Runtime &rt = *g_runtime_ptr;
    rt.self->after_flush(seconds, ok, rt.publisher->format());
    rt.status->after_flush(g_measuring.load(std::memory_order_relaxed),
                           rt.config != nullptr ? rt.config->generation : 0,
                           rt.publisher->format());
  };
  r.publisher = new store::Publisher(*r.registry, publisher_options);
  g_op_libraries.rescan();
  pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  atexit(&at_exit);
  if (!r.publisher->start()) return false;
  log_message(LogLevel::kDebug, "started: store folder %s, flush every %lld ms", folder.c_str(),
              static_cast<long long>(r.settings.flush_interval.count()));
  return true;
}

}  // namespace

void set_measuring(bool on) noexcept {
  g_measuring.store(on, std::memory_order_relaxed);
  set_hooks_forward_only(!on);
}

bool start_runtime_slow() noexcept {
  ThreadState &t = thread_state();
  if (t.starting != 0) return false;  // a call made by npuprobe's own start-up
  int state = g_runtime_state.load(std::memory_order_acquire);
  if (state == static_cast<int>(RuntimeState::kForked)) {
    // First call in a fork child: only one thread exists that called fork, but others may have
    // been created since; whoever wins starts the publisher.
    if (g_runtime_state.compare_exchange_strong(state, static_cast<int>(RuntimeState::kStarting))) {
      g_runtime_ptr->publisher->start();
      set_state(RuntimeState::kRunning);
    }
  }
  state = static_cast<int>(RuntimeState::kIdle);
  if (g_runtime_state.compare_exchange_strong(state, static_cast<int>(RuntimeState::kStarting))) {
    t.starting = 1;
    bool ok = false;
    try {
      ok = start_everything();
    } catch (const std::exception &e) {
      log_message(LogLevel::kError, "cannot start, npuprobe stays off: %s", e.what());
    } catch (...) {
      log_message(LogLevel::kError, "cannot start, npuprobe stays off");
    }
    t.starting = 0;
    set_state(ok ? RuntimeState::kRunning : RuntimeState::kOff);
  }
  // Another thread is starting: wait for it (start-up only; it never calls back into ACL).
  while (g_runtime_state.load(std::memory_order_acquire) ==
         static_cast<int>(RuntimeState::kStarting)) {
    sched_yield();
  }
  return g_runtime_state.load(std::memory_order_acquire) ==
             static_cast<int>(RuntimeState::kRunning) &&
         g_measuring.load(std::memory_order_relaxed);
}

probes::Probes &active_probes() noexcept {
  return *g_runtime_ptr->probes;
}

attribution::Attributor *active_attributor() noexcept {
  return g_attributor_ptr;
}

std::uint64_t g_slow_launch_ns = ~std::uint64_t{0};

__attribute__((noinline)) void attribute_slow_launch(const ThreadState &t,
                                                     probes::LaunchApi api, std::uint64_t t0,
                                                     std::uint64_t t1) noexcept {
  if (g_attributor_ptr != nullptr) {
    g_attributor_ptr->on_launch(t.device, static_cast<std::uint8_t>(api), t0, t1);
  }
}

std::uint32_t hook_api_id(HookId id) noexcept {
  return g_runtime_ptr->api_ids[static_cast<int>(id)];
}

std::uint32_t register_thunk_id(std::atomic<std::uint32_t> *slot, const char *name,
                                bool op) noexcept {
  std::uint32_t id = 0;
  try {
    id = op ? g_runtime_ptr->probes->register_op(name) : g_runtime_ptr->probes->register_api(name);
  } catch (...) {
    return 0;
  }
  slot->store(id, std::memory_order_relaxed);
  return id;
}

void on_first_use_of_device() noexcept {
  if (g_runtime_state.load(std::memory_order_acquire) != static_cast<int>(RuntimeState::kRunning) ||
      !g_measuring.load(std::memory_order_relaxed)) {
    return;  // the publisher starts collection once npuprobe runs and measures
  }
  Runtime &r = *g_runtime_ptr;
  if (r.aclprof != nullptr) r.aclprof->start_now(g_devices_used.load(std::memory_order_relaxed));
  if (r.mspti != nullptr) r.mspti->start_now();
  r.self->set_task_time_active(task_time_collecting(r));
}

void before_acl_finalize() noexcept {
  if (g_runtime_state.load(std::memory_order_acquire) != static_cast<int>(RuntimeState::kRunning))
    return;
  stop_npu_collection();
}

bool flush_now() noexcept {
  const int state = g_runtime_state.load(std::memory_order_acquire);
  if (state != static_cast<int>(RuntimeState::kRunning)) return false;
  return g_runtime_ptr->publisher->flush_now();
}

}  // namespace npuprobe::preload
