// npuprobe's life in the host process: inert until the first intercepted ACL call, then the
// registry, the probes and the publisher thread (lazy start); fork and exit handling.
#pragma once

#include <atomic>
#include <cstdint>

#include "hook_list.h"
#include "npuprobe/attribution/attributor.h"
#include "npuprobe/probes/collectives.h"
#include "npuprobe/probes/probes.h"
#include "thread_state.h"

namespace npuprobe::preload {

enum class RuntimeState : int {
  kIdle,      // no ACL call yet: no thread, no file
  kStarting,  // one thread is starting npuprobe
  kRunning,
  kForked,    // fork child: restart the publisher on the first event
  kOff,       // NPUPROBE_DISABLE=1 or a failed start: every wrapper forwards
};

extern std::atomic<int> g_runtime_state;
// The runtime switch (ms_service_metric's control segment drives it in a later layer).
extern std::atomic<bool> g_measuring;
// Sets g_measuring and lets the wrappers that do not measure forward at once. Cold.
void set_measuring(bool on) noexcept;

bool start_runtime_slow() noexcept;

// True when this call should be measured; starts npuprobe on the first ACL call. One relaxed
// load and one acquire load on the fast path.
inline bool runtime_active() noexcept {
  const int state = g_runtime_state.load(std::memory_order_acquire);
  if (__builtin_expect(state == static_cast<int>(RuntimeState::kRunning), 1)) {
    return g_measuring.load(std::memory_order_relaxed);
  }
  if (state == static_cast<int>(RuntimeState::kOff)) return false;
  return start_runtime_slow();
}

// Set before the state turns kRunning (its release store publishes them); read by the wrappers
// inline, once runtime_active() said yes: a call per intercepted call saved.
extern probes::Probes *g_probes_ptr;
extern attribution::Attributor *g_attributor_ptr;  // null: attribution off

// Valid once runtime_active() returned true.
inline probes::Probes &active_probes() noexcept { return *g_probes_ptr; }
probes::CollectiveProbe &active_collectives() noexcept;  // likewise
// Once runtime_active() returned true: the attributor, or null (attribution off).
inline attribution::Attributor *active_attributor() noexcept { return g_attributor_ptr; }
// attribution.slow_launch_us in ns, or the maximum when attribution is off (set before the
// state turns kRunning, like the attributor).
extern std::uint64_t g_slow_launch_ns;
// Cold: hands a launch of at least g_slow_launch_ns to the attributor.
void attribute_slow_launch(const ThreadState &t, probes::LaunchApi api, std::uint64_t t0,
                           std::uint64_t t1) noexcept;
std::uint32_t hook_api_id(HookId id) noexcept;

// Cold: a synchronous flush on the calling thread (aclrtResetDevice, aclFinalize, C API), so
// that a process ending with _exit (Python multiprocessing workers) loses nothing.
bool flush_now() noexcept;

// Cold, once per device: the application set a device for the first time. Task-time
// collection (aclprof, MSPTI) starts here, before the device's first kernel.
void on_first_use_of_device() noexcept;

// Cold: the application is about to finalize ACL; npuprobe's own ACL use (memory sampling
// threads bound to devices) ends first.
void before_acl_finalize() noexcept;

}  // namespace npuprobe::preload
