#include "ascendcl/runtime.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "sim/activity.h"
#include "sim/clock.h"
#include "sim/knobs.h"

namespace npumock {
namespace {
thread_local Context *t_current_context = nullptr;

// AI-CPU kernels (rtAicpuKernelLaunchExWithArgs) cannot join or update a task group: only tasks
// of the Cube/Vector cores can (Stream::AllocTask / AddTaskToGroup in the real runtime).
bool is_aicpu(const KernelSpec &kernel) {
  return kernel.type != nullptr && strcmp(kernel.type, "KERNEL_AICPU") == 0;
}
}  // namespace

ApiCall::ApiCall(int id, const char *name) : name_(name) {
  injected_ = api_enter(id);
  if (g_api_sink.load(std::memory_order_relaxed) != nullptr) start_ns_ = now_ns();
}

ApiCall::~ApiCall() {
  npumock_activity_sink sink = g_api_sink.load(std::memory_order_acquire);
  if (sink == nullptr || start_ns_ == 0) return;
  npumock_activity rec{};
  rec.kind = 3;  // MSPTI_ACTIVITY_KIND_API
  rec.deviceId = uint32_t(getpid());
  rec.streamId = uint32_t(syscall(SYS_gettid));
  rec.start_ns = start_ns_;
  rec.end_ns = now_ns();
  rec.correlationId = next_correlation_id();
  rec.name = name_;  // string literal of the entry point
  sink(&rec);
}

Context *current_context() {
  Context *c = t_current_context;
  return (c != nullptr && !c->destroyed.load(std::memory_order_acquire)) ? c : nullptr;
}

int current_device() {
  const Context *c = current_context();
  return c != nullptr ? c->device : -1;
}

void set_current_context(Context *context) { t_current_context = context; }

aclError resolve_stream(aclrtStream stream, Stream **out) {
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  if (stream == nullptr) {
    *out = default_stream(dev);
    return *out != nullptr ? ACL_SUCCESS : ACL_ERROR_RT_CONTEXT_NULL;
  }
  if (!streams().contains(stream)) return ACL_ERROR_RT_INVALID_HANDLE;
  auto *s = static_cast<Stream *>(stream);
  if (s->device != dev) return ACL_ERROR_RT_STREAM_CONTEXT;
  *out = s;
  return ACL_SUCCESS;
}

aclError enqueue_kernel(Stream *stream, const KernelSpec &kernel) {
  {
    std::lock_guard<std::mutex> lock(stream->capture_mu);
    if (TaskGroup *g = stream->updating) {
      if (is_aicpu(kernel)) return ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT;
      // More launches than the group has tasks: RT_ERROR_STREAM_TASKGRP_UPDATE.
      if (stream->update_index >= g->end - g->begin) return ACL_ERROR_RT_INTERNAL_ERROR;
      std::lock_guard<std::mutex> graph_lock(g->graph->mu);
      g->graph->kernels[g->begin + stream->update_index++] = kernel;
      return ACL_SUCCESS;
    }
    if (stream->capturing != nullptr) {
      if (stream->grouping != nullptr && is_aicpu(kernel)) return ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT;
      std::lock_guard<std::mutex> graph_lock(stream->capturing->mu);
      stream->capturing->kernels.push_back(kernel);
      return ACL_SUCCESS;
    }
  }
  Task t;
  t.kind = Task::Kind::Kernel;
  t.duration_ns = kernel.duration_ns;
  t.name = kernel.name;
  t.type = kernel.type;
  t.stream_id = stream->id;
  t.correlation_id = next_correlation_id();
  stream->last_seq.store(device(stream->device)->enqueue(t), std::memory_order_release);
  return ACL_SUCCESS;
}

uint64_t enqueue_task(Stream *stream, Task task) {
  {
    std::lock_guard<std::mutex> lock(stream->capture_mu);
    if (stream->capturing != nullptr) return 0;
  }
  task.stream_id = stream->id;
  task.correlation_id = next_correlation_id();
  const uint64_t seq = device(stream->device)->enqueue(task);
  stream->last_seq.store(seq, std::memory_order_release);
  return seq;
}

uint64_t next_correlation_id() {
  static std::atomic<uint64_t> id{0};
  return id.fetch_add(1, std::memory_order_relaxed) + 1;
}

uint64_t kernel_duration_ns(uint32_t us) {
  if (us == 0) us = knobs().kernel_us.load(std::memory_order_relaxed);
  return uint64_t(us) * 1000u;
}

namespace {
thread_local uint32_t t_next_launch_extra_us = 0;  // npumock_add_next_launch_host_us
}  // namespace

void add_next_launch_host_us(uint32_t us) { t_next_launch_extra_us += us; }

void spend_launch_host_time() {
  const uint32_t extra = t_next_launch_extra_us;
  t_next_launch_extra_us = 0;
  burn_host_us(knobs().launch_host_us.load(std::memory_order_relaxed) + extra);
}

}  // namespace npumock
