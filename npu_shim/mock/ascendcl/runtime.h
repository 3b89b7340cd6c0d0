// Shared plumbing of the fake libascendcl entry points: call accounting, the calling thread's
// device binding, stream resolution and enqueueing work. Internal to libascendcl.so.
#pragma once

#include <cstdint>

#include "npu/acl_api.h"
#include "sim/api_registry.h"
#include "sim/device.h"
#include "sim/handles.h"

namespace npumock {

// Counts the call, applies injected faults and, when the fake libmspti asked for API records,
// reports the call's host span. One per exported function.
class ApiCall {
 public:
  ApiCall(int id, const char *name);
  ~ApiCall();
  int injected() const { return injected_; }

 private:
  const char *name_;
  uint64_t start_ns_ = 0;
  int injected_ = 0;
};

#define NPUMOCK_API_CALL(fn)                               \
  static const int npumock_api_id_ = ::npumock::api_id(fn); \
  ::npumock::ApiCall npumock_call_(npumock_api_id_, fn)

// Returns the injected error code from the enclosing function, if any.
#define NPUMOCK_ENTER(fn)                              \
  NPUMOCK_API_CALL(fn);                                \
  if (int npumock_err_ = npumock_call_.injected()) {   \
    return npumock_err_;                               \
  }

// The calling thread's current context (aclrtSetDevice: the device's primary context;
// aclrtCreateContext / aclrtSetCurrentContext: that context), or null; a destroyed context
// counts as none. current_device() is its device, or -1.
Context *current_context();
int current_device();
void set_current_context(Context *context);

// Resolves a stream argument (NULL = the current device's default stream) for the calling
// thread. Returns ACL_SUCCESS or the runtime's error code.
aclError resolve_stream(aclrtStream stream, Stream **out);

// A kernel launched on the stream: rewrites the next task of the group the stream is updating
// (aclmdlRICaptureTaskUpdateBegin..End), or is recorded into the graph the stream is capturing,
// or is enqueued. Returns ACL_SUCCESS or the runtime's error code (update and group limits).
aclError enqueue_kernel(Stream *stream, const KernelSpec &kernel);
// Enqueues any other task; returns its seq (0 when the stream is capturing: recorded only).
uint64_t enqueue_task(Stream *stream, Task task);

uint64_t next_correlation_id();
uint64_t kernel_duration_ns(uint32_t us);  // 0 = current default
// Host time spent inside every launch call: NPU_MOCK_LAUNCH_HOST_US plus what
// add_next_launch_host_us asked for on this thread (consumed by this launch).
void spend_launch_host_time();
void add_next_launch_host_us(uint32_t us);

// What aclFinalize does to aclprof (its MsprofFinalize call, RT src/acl/aclrt_impl/acl.cpp
// aclFinalizeInternal): registered by prof_api.cc, which the split layout builds into the
// compat library.
void set_msprof_finalize(void (*finalize)());

}  // namespace npumock
