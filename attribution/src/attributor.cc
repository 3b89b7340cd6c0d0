#include "npuprobe/attribution/attributor.h"

#include <errno.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <tuple>

#include "npuprobe/attribution/site_policy.h"
#include "npuprobe/attribution/site_table.h"
#include "npuprobe/attribution/sites_file.h"
#include "npuprobe/base/log.h"

namespace npuprobe::attribution {
namespace {

using base::LogLevel;
using base::log_message;

bool contains(const std::string &text, const char *part) {
  return text.find(part) != std::string::npos;
}

double unix_seconds_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration<double>(now).count();
}

}  // namespace

struct Attributor::Cold {
  Cold(store::MetricRegistry &r, AttributorOptions o, ResolverFactory f)
      : registry(r),
        options(std::move(o)),
        make_resolver(std::move(f)),
        table(options.max_sites) {
    if (!options.skip_modules.empty()) policy.skip_modules = options.skip_modules;
    const std::vector<std::string> labels{"dp", "device", "api", "site"};
    families[static_cast<int>(CaptureKind::kSync)] = registry.add_family(store::counter_spec(
        options.metric_prefix + "npu:sync_sites",
        "Blocking waits by call site (the first frame outside CANN, npuprobe, libc and Python)",
        labels));
    families[static_cast<int>(CaptureKind::kSlowLaunch)] = registry.add_family(store::counter_spec(
        options.metric_prefix + "npu:slow_launches",
        "Launch-class calls slower than attribution.slow_launch_us, by call site", labels));
  }

  const std::string &api_name(CaptureKind kind, std::uint8_t api) const {
    static const std::string unknown = "unknown";
    const auto &names = kind == CaptureKind::kSync ? options.sync_apis : options.launch_apis;
    return api < names.size() ? names[api] : unknown;
  }

  // The capture machinery's own frames lead every stack and are not shown: the stack walk
  // (libunwind; glibc's backtrace and the sanitizer that intercepts it in TSan builds, see
  // preload/collectors/attribution_loader.cc), Attributor::fill, and for a slow launch
  // capture_slow_launch (both noinline, so the count is fixed).
  static bool is_walker_frame(const Frame &frame) {
    for (const char *walker : {"libunwind", "libc.so", "libgcc_s", "libtsan"}) {
      if (contains(frame.module, walker)) return true;
    }
    return false;
  }
  static void trim_capture_frames(CaptureKind kind, std::vector<Frame> *frames) {
    std::size_t first = 0;
    while (first < frames->size() && is_walker_frame((*frames)[first])) ++first;
    first += kind == CaptureKind::kSlowLaunch ? 2 : 1;
    if (first > frames->size()) first = frames->size();
    frames->erase(frames->begin(), frames->begin() + static_cast<std::ptrdiff_t>(first));
  }

  void count(const CapturedStack &stack) {
    if (!resolver) {
      SymbolizerOptions symbolizer;
      symbolizer.modules_without_lines = policy.skip_modules;  // never a site: names suffice
      resolver = make_resolver(symbolizer);
    }
    std::vector<Frame> frames;
    frames.reserve(stack.depth);
    // Frame 0 is where the stack walk itself was; every other one is a return address.
    for (int i = 0; i < stack.depth; ++i) {
      frames.push_back(resolver->resolve(stack.frames[i], i > 0));
    }
    trim_capture_frames(stack.kind, &frames);
    const std::size_t site = site_frame_index(policy, frames);
    const std::string &api = api_name(stack.kind, stack.api);
    const SiteEntry &entry = table.add(stack.kind, api, stack.device, frames, site,
                                       stack.truncated, stack.duration_ns * 1e-9);
    const auto key = std::make_tuple(static_cast<int>(stack.kind), api, stack.device, entry.label);
    auto handle = handles.find(key);
    if (handle == handles.end()) {
      const store::CounterHandle h = registry.counter(
          families[static_cast<int>(stack.kind)],
          {options.dp, std::to_string(stack.device), api, entry.label});
      handle = handles.emplace(key, h).first;
    }
    registry.add(handle->second);
    ++captured[static_cast<int>(stack.kind)];
    dirty = true;
  }

  void write_file(std::uint64_t rate_limited, std::uint64_t ring_full) {
    SitesReport report;
    report.pid = static_cast<long>(::getpid());
    report.dp = shown_dp.empty() ? options.dp : shown_dp;
    report.process = program_invocation_short_name;
    report.updated_unix_s = unix_seconds_now();
    report.max_labels = table.max_labels_per_kind();
    for (int k = 0; k < kCaptureKindCount; ++k) report.captured[k] = captured[k];
    report.not_captured_rate_limit = rate_limited;
    report.not_captured_ring_full = ring_full;
    for (const SiteEntry *entry : table.by_count()) {
      if (report.sites.size() == kMaxSitesInFile) break;
      report.sites.push_back(*entry);
    }
    std::string error;
    if (!write_sites_file(options.sites_dir, report, &error)) {
      if (error != last_error) {
        log_message(LogLevel::kWarn, "attribution: cannot write the sites file: %s",
                    error.c_str());
      }
      last_error = error;
      return;
    }
    last_error.clear();
    dirty = false;
    written_rate_limited = rate_limited;
    written_ring_full = ring_full;
  }

  store::MetricRegistry &registry;
  AttributorOptions options;
  ResolverFactory make_resolver;
  std::unique_ptr<FrameResolver> resolver;  // made on the first stack to name
  SitePolicy policy;
  SiteTable table;
  store::FamilyId families[kCaptureKindCount] = {};
  std::map<std::tuple<int, std::string, int, std::string>, store::CounterHandle> handles;
  std::uint64_t captured[kCaptureKindCount] = {};
  bool dirty = true;  // the first flush writes the file even with nothing captured yet
  std::uint64_t written_rate_limited = 0;  // the "not_captured" counts the file shows
  std::uint64_t written_ring_full = 0;
  std::string last_error;
  std::string shown_dp;  // set_identity's dp ("" until then: options.dp)
};

Attributor::Attributor(store::MetricRegistry &registry, AttributorOptions options,
                       BacktraceFn backtrace, ResolverFactory make_resolver)
    : slow_launch_ns_(options.slow_launch_ns),
      max_depth_(options.max_depth < 1            ? 1
                 : options.max_depth > kMaxFrames ? kMaxFrames
                                                  : options.max_depth),
      backtrace_(backtrace),
      budget_(options.sync_captures_per_s),
      ring_(options.ring_capacity),
      cold_(std::make_unique<Cold>(registry, std::move(options), std::move(make_resolver))) {}

Attributor::~Attributor() = default;

__attribute__((noinline)) void Attributor::fill(CapturedStack &stack, CaptureKind kind,
                                                int device, std::uint8_t api) noexcept {
  stack.kind = kind;
  stack.api = api;
  stack.device = device;
  stack.duration_ns = 0;
  // One frame more than kept tells a stack that was cut from one that fit exactly.
  const int want = max_depth_ < kMaxFrames ? max_depth_ + 1 : kMaxFrames;
  int depth = backtrace_(reinterpret_cast<void **>(stack.frames), want);
  if (depth < 0) depth = 0;
  stack.truncated = depth > max_depth_ || depth == kMaxFrames;
  stack.depth = static_cast<std::uint16_t>(depth > max_depth_ ? max_depth_ : depth);
}

void Attributor::push(const CapturedStack &stack) noexcept {
  if (!ring_.push(stack)) ring_full_.fetch_add(1, std::memory_order_relaxed);
}

__attribute__((noinline)) void Attributor::capture_slow_launch(
    int device, std::uint8_t api, std::uint64_t duration_ns) noexcept {
  CapturedStack stack;
  fill(stack, CaptureKind::kSlowLaunch, device, api);
  stack.duration_ns = duration_ns;
  push(stack);
}

void Attributor::before_flush() noexcept {
  Cold &c = *cold_;
  try {
    CapturedStack stack;
    while (ring_.pop(&stack)) c.count(stack);
    const std::uint64_t rate_limited = rate_limited_.sum();
    const std::uint64_t ring_full = ring_full_.load(std::memory_order_relaxed);
    if (rate_limited != c.written_rate_limited || ring_full != c.written_ring_full) c.dirty = true;
    if (c.dirty && !c.options.sites_dir.empty()) c.write_file(rate_limited, ring_full);
  } catch (const std::exception &e) {
    log_message(LogLevel::kWarn, "attribution: %s", e.what());
  } catch (...) {
    log_message(LogLevel::kWarn, "attribution: unexpected failure");
  }
}

void Attributor::set_identity(const std::string &dp, const std::string &sites_dir) noexcept {
  Cold &c = *cold_;
  if (c.shown_dp == dp && c.options.sites_dir == sites_dir) return;
  try {
    c.shown_dp = dp;  // the counters keep their registry label: the store writer shows dp
    c.options.sites_dir = sites_dir;
    c.dirty = true;
  } catch (...) {
    // Out of memory copying two short strings: the file keeps the old ones.
  }
}

void Attributor::reset_after_fork() noexcept {
  ring_.reset();
  rate_limited_.reset();
  ring_full_.store(0, std::memory_order_relaxed);
  Cold &c = *cold_;
  c.table.clear();
  for (auto &n : c.captured) n = 0;
  c.dirty = true;
}

}  // namespace npuprobe::attribution
