// Mock-only extensions exported by the fake libascendcl.so (prefix npumock_). Real CANN has no
// such functions; they are the simulated device's knobs and introspection, used by npu-sim, the
// fake libopapi/libmspti and tests. Nothing here knows npuprobe exists.
#ifndef NPU_NPUMOCK_H
#define NPU_NPUMOCK_H

#include <stddef.h>
#include <stdint.h>

#include "npu/acl_api.h"

#ifdef __cplusplus
extern "C" {
#endif

// Kernel handles: real code gets aclrtFuncHandle from aclrtBinaryGetFunction; the mock hands out
// named handles. duration_us = 0 means "the current default kernel duration".
aclError npumock_get_function(const char *kernelName, uint32_t durationUs, aclrtFuncHandle *func);

// A kernel launch made below ACL (the fake libruntime.so's rt* entry points call this): `func`
// is a handle from npumock_get_function (the mock's registered stub), or NULL with `name` and
// `type` ("KERNEL_AICPU" for AI-CPU kernels) naming a kernel of the default duration. Resolves
// the stream for the calling thread, spends the launch's host time and enqueues the kernel (or
// captures it, or rewrites a task group). Returns the runtime's error code.
aclError npumock_launch_kernel(aclrtStream stream, aclrtFuncHandle func, const char *name,
                               const char *type);

// A collective of the fake libhccl.so: one task of `duration_ns` named `name` (type "HCCL") on
// `stream` (NULL = the calling thread's default stream), queued like a kernel so that stream,
// event and device waits cover it. Returns the runtime's error code.
aclError npumock_launch_collective(aclrtStream stream, const char *name, uint64_t duration_ns);

// Default simulated device time of a kernel (NPU_MOCK_KERNEL_US) and host time spent inside
// every launch call (NPU_MOCK_LAUNCH_HOST_US). Process-wide, may change at any time.
void npumock_set_kernel_us(uint32_t us);
uint32_t npumock_kernel_us(void);
void npumock_set_launch_host_us(uint32_t us);
// The next launch-class call made on the calling thread spends `us` more host time inside the
// call (an op compilation or a tiling miss inside the launch). Adds up until that launch.
void npumock_add_next_launch_host_us(uint32_t us);

// Call accounting and fault injection, shared by the three fake libraries. An id names one entry
// point; npumock_api_enter counts the call and returns the error code a fault rule injects for
// it (0 = run normally). Faults come from NPU_MOCK_FAIL / NPU_MOCK_HANG (see the mock README).
int npumock_api_id(const char *name);
int npumock_api_enter(int id);
uint64_t npumock_call_count(const char *name);

// Simulated device clock (CLOCK_MONOTONIC, ns): the time base of MSPTI records.
uint64_t npumock_now_ns(void);

// Completed-work observer used by the fake libmspti (kind 2 = kernel, 7 = memcpy, 1 = a
// step-trace mark the stream reached (aclrtProfTrace): correlationId is its index id, flag its
// model id, start_ns = end_ns its time; api records are reported by npumock_set_api_sink).
// Names are interned: valid for the process lifetime.
typedef struct {
  uint32_t kind;
  uint32_t deviceId;
  uint32_t streamId;
  uint64_t start_ns;
  uint64_t end_ns;
  uint64_t correlationId;
  const char *type;
  const char *name;
  uint64_t flag;
} npumock_activity;
typedef void (*npumock_activity_sink)(const npumock_activity *record);
void npumock_set_activity_sink(npumock_activity_sink sink);
void npumock_set_api_sink(npumock_activity_sink sink);

// Interns a string (stable pointer for the process lifetime).
const char *npumock_intern(const char *s);

// Writes what the mock observed (calls per entry point, per-device work and memory) as JSON.
// Also done at exit when NPU_MOCK_STATS_FILE is set.
int npumock_write_stats(const char *path);

#ifdef __cplusplus
}
#endif

#endif  // NPU_NPUMOCK_H
