// Attribution as the preload uses it. The hot side (on_sync, on_launch) runs in the wrappers:
// a budget check or one comparison, then for the chosen calls a stack walk into a fixed buffer
// and a push into the capture ring; nothing else. The cold side (before_flush) runs on the
// publisher thread: it drains the ring, symbolizes (libdw), picks each stack's site, adds to
// `npu:sync_sites{api,site}` / `npu:slow_launches{api,site}` and rewrites the sites file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "npuprobe/attribution/capture_budget.h"
#include "npuprobe/attribution/capture_ring.h"
#include "npuprobe/attribution/captured_stack.h"
#include "npuprobe/attribution/frame_resolver.h"
#include "npuprobe/attribution/spread_counter.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::attribution {

// Walks the calling thread's stack: up to `size` return addresses into `buffer`, innermost
// first; returns how many. libunwind's unw_backtrace has this shape.
using BacktraceFn = int (*)(void **buffer, int size);
// Where the preload finds unw_backtrace, in this order (the runtime's soname, then the link name);
// `npuprobe check` tries the same.
inline constexpr const char *kUnwinderLibraries[] = {"libunwind.so.8", "libunwind.so"};
// Makes the resolver, on the publisher thread when the first stack is to be named: loading the
// symbolizer (libdw) never delays the application's first ACL call. Must not return null. The
// attributor passes what its site policy needs read (no source lines in skipped modules).
using ResolverFactory = std::function<std::unique_ptr<FrameResolver>(const SymbolizerOptions &)>;

struct AttributorOptions {
  std::string metric_prefix = "vllm_profiling_";
  std::string dp = "0";
  // Label values of the `api` label, indexed by the api byte of on_sync / on_launch.
  std::vector<std::string> sync_apis;
  std::vector<std::string> launch_apis;
  std::uint64_t slow_launch_ns = 1000000;   // attribution.slow_launch_us
  std::uint32_t sync_captures_per_s = 1000; // attribution.sync_captures_per_s (0: none)
  int max_depth = 32;                       // attribution.max_depth, 1..kMaxFrames
  std::size_t max_sites = 20;               // attribution.max_sites: labelled sites per kind
  std::vector<std::string> skip_modules;    // attribution.skip_modules (empty: the defaults)
  std::size_t ring_capacity = 1024;
  std::string sites_dir;                    // where npuprobe_sites_<pid>.json goes ("": none)
};

class Attributor {
 public:
  // Registers both families in `registry`. `backtrace` and `make_resolver` must not be null.
  Attributor(store::MetricRegistry &registry, AttributorOptions options, BacktraceFn backtrace,
             ResolverFactory make_resolver);
  ~Attributor();
  Attributor(const Attributor &) = delete;
  Attributor &operator=(const Attributor &) = delete;

  // Hot: a blocking wait is about to start. True when this wait fits the capture budget and
  // `stack` now holds its stack: hand it to finish_sync() once the wait returned. Capturing
  // before the wait lets the stack walk overlap the device work the host waits for anyway.
  // note: always_inline, at -O0 too: the frames a capture drops as its own are counted (fill,
  // capture_slow_launch), so these must never be frames of their own.
  __attribute__((always_inline)) bool begin_sync(CapturedStack &stack, int device,
                                                 std::uint8_t api, std::uint64_t now_ns) noexcept {
    if (!budget_.take(now_ns)) {
      rate_limited_.add();
      return false;
    }
    fill(stack, CaptureKind::kSync, device, api);
    return true;
  }
  void finish_sync(CapturedStack &stack, std::uint64_t wait_ns) noexcept {
    stack.duration_ns = wait_ns;
    push(stack);
  }
  // Hot: a launch returned after t1 - t0; only a slow one pays more than a comparison.
  __attribute__((always_inline)) void on_launch(int device, std::uint8_t api, std::uint64_t t0_ns,
                                                std::uint64_t t1_ns) noexcept {
    if (__builtin_expect(t1_ns - t0_ns < slow_launch_ns_, 1)) return;
    capture_slow_launch(device, api, t1_ns - t0_ns);
  }

  // Publisher thread, before every flush. Never throws.
  void before_flush() noexcept;
  // Fork child, single-threaded: the parent's captures and sites are the parent's.
  void reset_after_fork() noexcept;
  // Publisher thread, before a flush: the dp the sites file names and the folder it goes to
  // changed (a title set late, a fork child's folder). The next before_flush writes it there.
  void set_identity(const std::string &dp, const std::string &sites_dir) noexcept;

  std::uint64_t captures_lost_ring_full() const noexcept {
    return ring_full_.load(std::memory_order_relaxed);
  }

 private:
  struct Cold;
  void fill(CapturedStack &stack, CaptureKind kind, int device, std::uint8_t api) noexcept;
  void push(const CapturedStack &stack) noexcept;
  void capture_slow_launch(int device, std::uint8_t api, std::uint64_t duration_ns) noexcept;

  const std::uint64_t slow_launch_ns_;
  const int max_depth_;
  const BacktraceFn backtrace_;
  CaptureBudget budget_;
  CaptureRing ring_;
  SpreadCounter rate_limited_;
  std::atomic<std::uint64_t> ring_full_{0};
  std::unique_ptr<Cold> cold_;
};

}  // namespace npuprobe::attribution
