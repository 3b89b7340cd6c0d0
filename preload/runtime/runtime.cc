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
#include "components.h"
#include "config_snapshot.h"
#include "embedded_exposer.h"
#include "hook.h"
#include "hook_groups.h"
#include "log_sink.h"
#include "memory_sampler.h"
#include "mspti_lookup.h"
#include "mspti_session.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/version.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/private_folder.h"
#include "npuprobe/store/publisher.h"
#include "op_libraries.h"
#include "process_identity.h"
#include "real_dlsym.h"
#include "runtime_switch.h"
#include "self_metrics.h"
#include "status_entry.h"

namespace npuprobe::preload {

__thread ThreadState tls_thread_state __attribute__((tls_model("initial-exec"))) = {0, 0, 0};
std::atomic<int> g_runtime_state{static_cast<int>(RuntimeState::kIdle)};
std::atomic<bool> g_measuring{true};
CaptureStreams g_capture_streams;
CaptureStreams g_update_streams;
// Read by the wrappers once runtime_active() said yes (set before the state turns kRunning,
// whose release store publishes them). The attributor: attribution.enabled and libunwind loaded.
probes::Probes *g_probes_ptr = nullptr;
attribution::Attributor *g_attributor_ptr = nullptr;

namespace {

using base::log_message;
using base::LogLevel;

// Everything below is created once and deliberately never destroyed: wrappers may still run
// on other threads while the process exits, after static destructors. Only what the runtime
// itself calls is kept here (the wrappers read api_ids, and the probes through g_probes_ptr,
// with plain loads); every part with a life of its own is in `components`, which fork, flush,
// aclFinalize and exit walk.
struct Runtime {
  // The configuration snapshot: replaced whole by a reload (on the publisher thread, the only
  // reader after start), never edited.
  const config::Config *config = nullptr;
  std::string dp;  // the `dp` label (resolve_dp), fixed for the process's life
  bool file_named = false;  // NPUPROBE_CONFIG or SERVICE_PROF_CONFIG_PATH, read at start
  store::MetricRegistry *registry = nullptr;
  probes::CollectiveProbe *collectives = nullptr;  // HCCL (wrappers_hccl.cc)
  store::Publisher *publisher = nullptr;  // flush_now, the restart after fork
  RuntimeSwitch *runtime_switch = nullptr;
  npu_shim::NpuFunctions *npu = nullptr;  // ACL functions npuprobe calls itself
  ComponentList components;  // components.cc: what, and in which order
  std::uint32_t api_ids[kHookCount] = {};
};

// A pointer, not an object: wrappers may run inside another library's constructor before
// npuprobe's own static initialisers did (docs/interposition.md, "Init order and lazy start").
Runtime *g_runtime_ptr = nullptr;

void set_state(RuntimeState state) {
  g_runtime_state.store(static_cast<int>(state), std::memory_order_release);
  if (state == RuntimeState::kOff) set_hooks_forward_only(true);
}

// pthread_atfork's handlers, installed once the component list is complete: the list says who
// takes which lock in which order (components.cc).
void before_fork() {
  g_runtime_ptr->components.before_fork();
}

void after_fork_in_parent() {
  g_runtime_ptr->components.after_fork_in_parent();
}

// The child must never publish the parent's counts: everything restarts from zero under the
// child's pid, and its publisher thread starts on its first ACL call. Op and api ids of the
// aclnn thunks stay valid: the probes keep their names across fork.
void after_fork_in_child() {
  g_runtime_ptr->components.after_fork_in_child();
  if (g_runtime_state.load() == static_cast<int>(RuntimeState::kRunning)) {
    set_state(RuntimeState::kForked);
  }
}

// Normal exit: npuprobe's own use of the NPU ends first (the last MSPTI records reach the
// probes), then every part stops: the publisher thread (it only ever waits on its own condition
// variable or writes files, so the join is bounded) with a last flush and the live gauge files
// removed, the exposer, the status entry.
void at_exit() {
  if (g_runtime_state.load() != static_cast<int>(RuntimeState::kRunning)) return;
  set_state(RuntimeState::kOff);
  g_runtime_ptr->components.stop_npu_collection();
  g_runtime_ptr->components.stop();
}

// attribution.*: stacks of waits and slow launches (null when off or without libunwind).
attribution::Attributor *start_attribution(const config::Config &s, const std::string &dp,
                                           const std::string &folder,
                                           store::MetricRegistry &registry) {
  if (!s.attribution.enabled) return nullptr;
  const attribution::BacktraceFn backtrace = load_unwinder();
  if (backtrace == nullptr) return nullptr;
  attribution::AttributorOptions o;
  o.metric_prefix = s.metric_prefix;
  o.dp = dp;
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

// `npuprobe restart`: a new snapshot; the keys a running process can apply (keys.h,
// Applies::kAtOnce: logging, hooks, phases) take effect, the others are said to need a new
// process.
void reload_config() {
  Runtime &r = *g_runtime_ptr;
  config::LoadResult loaded = load_snapshot(r.config);
  const config::Config &c = loaded.config;
  install_log_sink(c.logging.file);  // what the reload says lands in the new file
  config::log_problems(loaded.messages);
  apply_hooks_config(c.hooks);
  if (r.file_named) {
    // At the old level: the line that says a new level applies is always seen.
    log_message(LogLevel::kInfo, "configuration generation %llu applied%s",
                static_cast<unsigned long long>(c.generation),
                loaded.kept_last_good ? " (a file was unusable: the last good one is kept)" : "");
  }
  base::set_log_level(c.logging.level);
  g_probes_ptr->set_min_launches_per_step(static_cast<std::uint32_t>(c.phases.min_launches_per_step));
  const std::string fixed = config::keys_for_new_processes(*r.config, c);
  if (!fixed.empty()) {
    log_message(LogLevel::kWarn, "configuration reload: %s changed; applies to new processes only",
                fixed.c_str());
  }
  const config::Config *old = r.config;
  r.config = new config::Config(config::in_force_after_reload(*old, c));
  delete old;
}

// The private folder, or "" when there is none to use. One that another user made first (or a
// link, or one writable by others) is never written into: this process then gets a fresh
// private folder of its own, which the other processes of the session do not share.
std::string store_folder(const config::Config &c) {
  if (!c.store.dir.empty()) return c.store.dir;
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
  r.file_named = config_file_named();
  config::LoadResult loaded = load_snapshot(nullptr);
  r.config = new config::Config(std::move(loaded.config));
  const config::Config &c = *r.config;
  base::set_log_level(c.logging.level);
  install_log_sink(c.logging.file);  // stderr when no file is named
  config::log_problems(loaded.messages);  // the environment's problems included
  apply_hooks_config(c.hooks);
  if (!c.enabled) set_measuring(false);
  if (c.disabled) {
    log_message(LogLevel::kInfo, "disabled by NPUPROBE_DISABLE: every call is forwarded untouched");
    return false;
  }
  check_preload_order();
  r.dp = resolve_dp(c);
  const std::string folder = store_folder(c);
  if (folder.empty()) return false;  // no store: every call is forwarded untouched
  r.registry = new store::MetricRegistry();
  probes::ProbeOptions options;
  options.metric_prefix = c.metric_prefix;
  options.dp = r.dp;
  options.op_label = c.op_label;
  options.min_launches_per_step = static_cast<std::uint32_t>(c.phases.min_launches_per_step);
  options.buckets = c.buckets;
  options.task_time = c.task_time.mode == config::TaskTimeMode::kMspti;
  options.kernel_filter = c.task_time.kernel_filter;
  options.api_filter = c.task_time.api_filter;
  g_probes_ptr = new probes::Probes(*r.registry, options);
  r.collectives = new probes::CollectiveProbe(*r.registry, options);
  for (int i = 0; i < kHookCount; ++i) {
    r.api_ids[i] = g_probes_ptr->register_api(hook_name(static_cast<HookId>(i)));
  }
  RuntimeParts parts;  // created in the order their constructors need, registered below
  parts.registry = r.registry;
  parts.probes = g_probes_ptr;
  parts.self = new SelfMetrics(*r.registry, c, r.dp);
  g_attributor_ptr = start_attribution(c, r.dp, folder, *r.registry);
  parts.attributor = g_attributor_ptr;
  if (c.store.dir.empty() && c.exposer.enabled()) {
    parts.exposer = new EmbeddedExposer(c.exposer.listen, folder, c.store.format);
  }
  store::PublisherOptions publisher_options;
  publisher_options.store = {folder, c.store.format, "", {c.labels.begin(), c.labels.end()}};
  publisher_options.interval = std::chrono::milliseconds(c.store.flush_interval_ms);
  r.runtime_switch = new RuntimeSwitch(config::control_prefix_from_environment());
  r.runtime_switch->poll();  // an OFF switch applies from the first call on
  // note: RTLD_NEXT from npuprobe: the runtime's own definitions, never npuprobe's wrappers, so
  // that npuprobe's calls are not counted as the application's. MSPTI wherever it was loaded
  // (mspti_lookup.h): npuprobe wraps none of its names.
  r.npu = new npu_shim::NpuFunctions([](const char *name) { return lookup_symbol(RTLD_NEXT, name); },
                                     &find_mspti_function);
  if (c.memory.sample_hz > 0) {
    parts.memory_sampler = new MemorySampler(*r.npu, c.memory.sample_hz);
  }
  if (c.task_time.mode == config::TaskTimeMode::kAclprof) {
    parts.aclprof = new AclprofSession(*r.npu, c.task_time);
  } else if (c.task_time.mode == config::TaskTimeMode::kMspti) {
    parts.mspti = new MsptiSession(*r.npu, c.task_time, *g_probes_ptr, *r.collectives);
  }
  // The switch first: what it says (on/off, a reload) is what every part's flush sees.
  publisher_options.before_flush = [] {
    Runtime &rt = *g_runtime_ptr;
    if (rt.runtime_switch->poll()) reload_config();
    FlushContext context;
    context.measuring = g_measuring.load(std::memory_order_relaxed);
    context.devices = g_devices_used.load(std::memory_order_relaxed);
    rt.components.before_flush(context);
  };
  parts.status = new StatusEntry(folder, r.dp);
  publisher_options.after_flush = [](double seconds, bool ok) {
    Runtime &rt = *g_runtime_ptr;
    FlushResult result;
    result.seconds = seconds;
    result.ok = ok;
    result.format = rt.publisher->format();
    result.measuring = g_measuring.load(std::memory_order_relaxed);
    // Generation 0 when no file is named: what `npuprobe status` has always shown then.
    result.config_generation = rt.file_named ? rt.config->generation : 0;
    rt.components.after_flush(result);
  };
  r.publisher = new store::Publisher(*r.registry, publisher_options);
  parts.publisher = r.publisher;
  parts.identity = new ProcessIdentity(*r.registry, c, r.dp, folder, *r.publisher, *parts.status,
                                       g_attributor_ptr, parts.exposer);
  // Complete before anything can walk it: the publisher thread, fork, exit.
  register_components(r.components, parts);
  g_op_libraries.rescan();
  pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  atexit(&at_exit);
  if (!r.publisher->start()) return false;
  // One line per instrumented process: which build (an operator comparing hosts needs the
  // version and the floor it was built for) and where its metrics go. At info level into a log
  // file; on the application's own stderr only at debug level, because the application's output
  // must stay what it is without npuprobe.
  log_message(c.logging.file.empty() ? LogLevel::kDebug : LogLevel::kInfo,
              "npuprobe %s (%s, %s, glibc floor %s) started: store folder %s, flush every %lld ms",
              NPUPROBE_VERSION_STRING, NPUPROBE_GIT_DESCRIPTION, NPUPROBE_ARCHITECTURE,
              NPUPROBE_GLIBC_FLOOR_STRING, folder.c_str(),
              static_cast<long long>(c.store.flush_interval_ms));
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

probes::CollectiveProbe &active_collectives() noexcept {
  return *g_runtime_ptr->collectives;
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
    id = op ? g_probes_ptr->register_op(name) : g_probes_ptr->register_api(name);
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
  g_runtime_ptr->components.on_first_use_of_device(
      g_devices_used.load(std::memory_order_relaxed));
}

void before_acl_finalize() noexcept {
  if (g_runtime_state.load(std::memory_order_acquire) != static_cast<int>(RuntimeState::kRunning))
    return;
  g_runtime_ptr->components.stop_npu_collection();
}

bool flush_now() noexcept {
  const int state = g_runtime_state.load(std::memory_order_acquire);
  if (state != static_cast<int>(RuntimeState::kRunning)) return false;
  return g_runtime_ptr->publisher->flush_now();
}

}  // namespace npuprobe::preload
