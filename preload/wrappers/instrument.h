// The shape every wrapper shares: forward at once when npuprobe is off or the call is nested
// in another intercepted call on this thread; otherwise clock, real call, clock, one event to
// the probes, and the real result returned unchanged. Hot path: no lock, no allocation, no
// system call but the vDSO clock.
#pragma once

#include <atomic>
#include <cstdint>

#include "capture_streams.h"
#include "hook_list.h"
#include "npuprobe/base/clock.h"
#include "npuprobe/probes/probes.h"
#include "runtime.h"
#include "thread_state.h"

namespace npuprobe::preload {

using base::now_ns;  // the hot path's clock: vDSO, inline

// The measuring shapes below are inlined into each wrapper: out of line, the wrapper has to
// build the call's closure (a pointer per argument) in memory for them, some 40 instructions
// of shuffling per call for nothing.
#define NPUPROBE_HOT_INLINE inline __attribute__((always_inline))

// A launch-class call: its api label, and for aclnn thunks the op's name and lazily registered
// ids (hook = kCount); for exported wrappers the hook whose name labels errors.
struct LaunchKind {
  probes::LaunchApi api;
  std::atomic<std::uint32_t> *op_id = nullptr;
  std::atomic<std::uint32_t> *api_id = nullptr;
  const char *name = nullptr;
  HookId hook = HookId::kCount;
  // Kernel launches: when `caller` lies in an operator library the launch is that aclnn op's
  // (looked up only when measuring: the disabled path stays a plain forward).
  const void *kernel_caller = nullptr;
};

bool launched_from_operator_library(const void *caller) noexcept;

// Registers a thunk's op/api name on its first use (once per op; cold).
std::uint32_t register_thunk_id(std::atomic<std::uint32_t> *slot, const char *name,
                                bool op) noexcept;

// RAII depth marker: calls made inside are nested and forwarded untouched.
class NestedScope {
 public:
  explicit NestedScope(ThreadState &t) noexcept : t_(t) { ++t_.depth; }
  ~NestedScope() { --t_.depth; }
  NestedScope(const NestedScope &) = delete;
  NestedScope &operator=(const NestedScope &) = delete;

 private:
  ThreadState &t_;
};

inline bool should_measure(const ThreadState &t) noexcept {
  return t.depth == 0 && runtime_active();
}

// Runs `call` as this thread's intercepted call (calls inside it are nested) between two clock
// reads.
template <typename Call>
NPUPROBE_HOT_INLINE auto timed_call(ThreadState &t, Call &&call, std::uint64_t *t0,
                                    std::uint64_t *t1) -> decltype(call()) {
  NestedScope nested(t);
  *t0 = now_ns();
  const auto rc = call();
  *t1 = now_ns();
  return rc;
}

// Attribution of a blocking wait: the stack is walked before the wait (the walk overlaps device
// work the host waits for anyway) and handed over once the wait returned, with its duration.
// `*t0` is the clock read that starts the wait; it also serves the capture budget, and is read
// again only after a stack walk (the walk is not part of the wait). Attribution off: a null check.
class SyncCapture {
 public:
  NPUPROBE_HOT_INLINE SyncCapture(const ThreadState &t, probes::SyncApi api,
                                  std::uint64_t *t0) noexcept
      : attributor_(active_attributor()) {
    *t0 = now_ns();
    if (attributor_ != nullptr &&
        attributor_->begin_sync(stack_, t.device, static_cast<std::uint8_t>(api), *t0)) {
      captured_ = true;
      *t0 = now_ns();
    }
  }
  SyncCapture(const SyncCapture &) = delete;
  SyncCapture &operator=(const SyncCapture &) = delete;
  void finish(std::uint64_t t0, std::uint64_t t1) noexcept {
    if (captured_) attributor_->finish_sync(stack_, t1 - t0);
  }

 private:
  attribution::Attributor *attributor_;
  bool captured_ = false;
  attribution::CapturedStack stack_;
};

// A launch that returned: only a slow one goes to the attributor. The fast path is one load
// and one comparison (g_slow_launch_ns is the maximum when attribution is off).
inline void attribute_launch(const ThreadState &t, probes::LaunchApi api, std::uint64_t t0,
                             std::uint64_t t1) noexcept {
  if (__builtin_expect(t1 - t0 >= g_slow_launch_ns, 0)) attribute_slow_launch(t, api, t0, t1);
}

// The second half of timed_call, when the caller read t0 itself (a SyncCapture did).
template <typename Call>
NPUPROBE_HOT_INLINE auto timed_call_end(ThreadState &t, Call &&call, std::uint64_t *t1)
    -> decltype(call()) {
  NestedScope nested(t);
  const auto rc = call();
  *t1 = now_ns();
  return rc;
}

template <typename Call>
NPUPROBE_HOT_INLINE auto measure_launch(const LaunchKind &kind, const void *stream, Call &&call)
    -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  std::uint64_t t0, t1;
  const auto rc = timed_call(t, call, &t0, &t1);
  probes::Probes &probes = active_probes();
  if (rc == 0) {
    probes::LaunchApi api = kind.api;
    bool unnamed_op = false;  // an aclnn op seen only through its inner kernel launch
    if (g_capture_streams.contains(stream)) {
      api = probes::LaunchApi::kCapture;
    } else if (g_update_streams.contains(stream)) {
      api = probes::LaunchApi::kGraphUpdate;
    } else if (kind.kernel_caller != nullptr &&
               launched_from_operator_library(kind.kernel_caller)) {
      api = probes::LaunchApi::kAclnn;
      unnamed_op = true;
    }
    std::uint32_t op = 0;
    if (kind.op_id != nullptr) {
      op = kind.op_id->load(std::memory_order_relaxed);
      if (__builtin_expect(op == 0, 0)) op = register_thunk_id(kind.op_id, kind.name, true);
    }
    // Before on_launch: t0 and t1 then need not outlive that call on the fast path.
    attribute_launch(t, api, t0, t1);
    probes.on_launch(t.device, api, t0, t1, op);
    if (__builtin_expect(unnamed_op, 0)) probes.on_unnamed_op_launch();
  } else {
    const std::uint32_t api_id = kind.hook != HookId::kCount ? hook_api_id(kind.hook)
                                 : kind.api_id->load(std::memory_order_relaxed) != 0
                                     ? kind.api_id->load(std::memory_order_relaxed)
                                     : register_thunk_id(kind.api_id, kind.name, false);
    probes.on_api_error(api_id, static_cast<int>(rc));
  }
  return rc;
}

// A blocking wait (`event` only for SyncApi::kEvent).
template <typename Call>
NPUPROBE_HOT_INLINE auto measure_sync(HookId hook, probes::SyncApi api, const void *event,
                                      Call &&call) -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  std::uint64_t t0, t1;
  SyncCapture capture(t, api, &t0);
  const auto rc = timed_call_end(t, call, &t1);
  capture.finish(t0, t1);
  probes::Probes &probes = active_probes();
  probes.on_sync(t.device, api, event, t0, t1);
  if (rc != 0) probes.on_api_error(hook_api_id(hook), static_cast<int>(rc));
  return rc;
}

// A synchronous execution (aclmdlExecute, aclmdlRIExecute): a launch (it enqueues the work) and
// the blocking wait for it, in one call.
template <typename Call>
NPUPROBE_HOT_INLINE auto measure_launch_and_wait(HookId hook, probes::LaunchApi launch,
                                                 probes::SyncApi sync, Call &&call)
    -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  std::uint64_t t0, t1;
  SyncCapture capture(t, sync, &t0);
  const auto rc = timed_call_end(t, call, &t1);
  capture.finish(t0, t1);
  probes::Probes &probes = active_probes();
  if (rc == 0) probes.on_launch(t.device, launch, t0, t1);
  probes.on_sync(t.device, sync, nullptr, t0, t1);
  if (rc != 0) probes.on_api_error(hook_api_id(hook), static_cast<int>(rc));
  return rc;
}

// Any other intercepted call: only its errors are counted. `after(rc)` runs when measuring.
template <typename Call, typename After>
auto measure_plain(HookId hook, Call &&call, After &&after) -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  decltype(call()) rc;
  {
    NestedScope nested(t);
    rc = call();
  }
  if (rc != 0) active_probes().on_api_error(hook_api_id(hook), static_cast<int>(rc));
  after(rc);
  return rc;
}

template <typename Call>
auto measure_plain(HookId hook, Call &&call) -> decltype(call()) {
  return measure_plain(hook, call, [](decltype(call())) {});
}

// An allocation: `key_of(rc)` reads the pointer/handle handed out (never dereferencing a NULL
// out-parameter of the caller).
template <typename Call, typename KeyOf>
NPUPROBE_HOT_INLINE auto measure_alloc(HookId hook, probes::AllocKind kind, std::size_t size,
                                       Call &&call, KeyOf &&key_of) -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  std::uint64_t t0, t1;
  const auto rc = timed_call(t, call, &t0, &t1);
  probes::Probes &probes = active_probes();
  probes.on_alloc(t.device, kind, rc == 0 ? key_of() : nullptr, size, rc == 0, t0, t1);
  if (rc != 0) probes.on_api_error(hook_api_id(hook), static_cast<int>(rc));
  return rc;
}

template <typename Call>
NPUPROBE_HOT_INLINE auto measure_free(HookId hook, probes::AllocKind kind, const void *key,
                                      Call &&call) -> decltype(call()) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  decltype(call()) rc;
  {
    NestedScope nested(t);
    rc = call();
  }
  probes::Probes &probes = active_probes();
  if (key != nullptr) probes.on_free(kind, key, rc == 0);
  if (rc != 0) probes.on_api_error(hook_api_id(hook), static_cast<int>(rc));
  return rc;
}

}  // namespace npuprobe::preload
