// Captured graphs (aclmdlRI*): capture, replay (asynchronous and synchronous), task groups and
// their updates. One host call, many kernels.
#include <mutex>
#include <vector>

#include "ascendcl/runtime.h"
#include "sim/activity.h"

using namespace npumock;

namespace {

// A graph handle: NULL is refused by the ACL layer, an unknown one by the runtime's check.
aclError check_graph(aclmdlRI modelRI) {
  if (modelRI == nullptr) return ACL_ERROR_INVALID_PARAM;
  return graphs().contains(modelRI) ? ACL_SUCCESS : ACL_ERROR_RT_INVALID_HANDLE;
}

// Replays a graph: its kernels as they are now (a later update does not change this replay).
aclError enqueue_graph(Stream *s, Graph *g) {
  std::vector<KernelSpec> kernels;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    kernels = g->kernels;
  }
  for (const KernelSpec &k : kernels) {
    if (aclError rc = enqueue_kernel(s, k)) return rc;
  }
  return ACL_SUCCESS;
}

// The task-group calls take a stream that the ACL layer requires non-NULL and the runtime
// validates (RT_VALIDATE_AND_UNWRAP_OBJECT).
aclError task_group_stream(aclrtStream stream, Stream **out) {
  if (stream == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (!streams().contains(stream)) return ACL_ERROR_RT_INVALID_HANDLE;
  return resolve_stream(stream, out);
}


}  // namespace

extern "C" {

aclError aclmdlRICaptureBegin(aclrtStream stream, int mode) {
  NPUMOCK_ENTER("aclmdlRICaptureBegin");
  if (mode < 0 || mode > 2) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  if (s->is_default) return ACL_ERROR_RT_STREAM_CONTEXT;  // the default stream cannot capture
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing != nullptr) return ACL_ERROR_RT_STREAM_CAPTURED;
  s->capturing = new Graph;
  s->capturing->device = s->device;
  return ACL_SUCCESS;
}

aclError aclmdlRICaptureEnd(aclrtStream stream, aclmdlRI *modelRI) {
  NPUMOCK_ENTER("aclmdlRICaptureEnd");
  if (modelRI == nullptr) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing == nullptr) return ACL_ERROR_RT_PARAM_INVALID;  // not capturing
  delete s->grouping;  // a group never ended is not part of the graph (mock's choice)
  s->grouping = nullptr;
  *modelRI = graphs().add(s->capturing);
  s->capturing = nullptr;
  return ACL_SUCCESS;
}

aclError aclmdlRIExecuteAsync(aclmdlRI modelRI, aclrtStream stream) {
  NPUMOCK_ENTER("aclmdlRIExecuteAsync");
  if (aclError rc = check_graph(modelRI)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  auto *g = static_cast<Graph *>(modelRI);
  if (g->device != s->device) return ACL_ERROR_RT_STREAM_CONTEXT;
  {
    std::lock_guard<std::mutex> lock(s->capture_mu);
    // A replay is not a Cube/Vector task: it cannot rewrite a group (Stream::AllocTask).
    if (s->updating != nullptr) return ACL_ERROR_RT_TASK_TYPE_NOT_SUPPORT;
  }
  spend_launch_host_time();
  return enqueue_graph(s, g);
}

// Synchronous replay (model_ri.cpp -> rtsModelExecute -> Model::ExecuteSync): the graph's
// kernels run on the current context's default stream and the call waits for them; -1 waits
// forever, > 0 is milliseconds, anything else is RT_ERROR_INVALID_VALUE; a timeout is
// RT_ERROR_STREAM_SYNC_TIMEOUT; a graph of another device is RT_ERROR_MODEL_CONTEXT.
// note: the runtime at the documented commit refuses captured graphs here
// (ApiErrorDecorator::ModelExecuteSync, "ACL Graph mode is not supported"); the API docs list
// them as valid input. The mock follows the docs (docs/mock-sources.md).
aclError aclmdlRIExecute(aclmdlRI modelRI, int32_t timeout) {
  NPUMOCK_ENTER("aclmdlRIExecute");
  if (aclError rc = check_graph(modelRI)) return rc;
  if (timeout < -1 || timeout == 0) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(nullptr, &s)) return rc;
  auto *g = static_cast<Graph *>(modelRI);
  if (g->device != s->device) return ACL_ERROR_RT_MODEL_CONTEXT;
  spend_launch_host_time();
  if (aclError rc = enqueue_graph(s, g)) return rc;
  return device(s->device)->wait_for(s->last_seq.load(std::memory_order_acquire), timeout)
             ? ACL_SUCCESS
             : ACL_ERROR_RT_STREAM_SYNC_TIMEOUT;
}

aclError aclmdlRIDestroy(aclmdlRI modelRI) {
  NPUMOCK_ENTER("aclmdlRIDestroy");
  if (aclError rc = check_graph(modelRI)) return rc;
  auto *g = static_cast<Graph *>(modelRI);
  {
    std::lock_guard<std::mutex> lock(g->mu);
    for (const TaskGroup *grp : g->groups) {
      // Its group is being updated on some stream (mock's choice: refused, never freed under it).
      if (grp->updating) return ACL_ERROR_STREAM_TASK_GROUP_STATUS;
    }
  }
  if (!graphs().remove(modelRI)) return ACL_ERROR_RT_INVALID_HANDLE;
  for (TaskGroup *grp : g->groups) {
    task_groups().remove(grp);
    delete grp;
  }
  delete g;
  return ACL_SUCCESS;
}

// Task groups (model_ri.cpp over src/runtime/feature/aclgraph: ApiErrorDecorator and
// Context::StreamBeginTaskGrp / StreamEndTaskGrp / StreamBeginTaskUpdate / StreamEndTaskUpdate).
// A group is sampled on a capturing stream; an update runs on a stream that is not capturing,
// where each kernel launch rewrites the group's next task instead of running.
aclError aclmdlRICaptureTaskGrpBegin(aclrtStream stream) {
  NPUMOCK_ENTER("aclmdlRICaptureTaskGrpBegin");
  Stream *s = nullptr;
  if (aclError rc = task_group_stream(stream, &s)) return rc;
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing == nullptr) return ACL_ERROR_RT_STREAM_NOT_CAPTURED;
  if (s->grouping != nullptr || s->updating != nullptr) return ACL_ERROR_STREAM_TASK_GROUP_STATUS;
  auto *grp = new TaskGroup;
  grp->graph = s->capturing;
  std::lock_guard<std::mutex> graph_lock(s->capturing->mu);
  grp->begin = s->capturing->kernels.size();
  s->grouping = grp;
  return ACL_SUCCESS;
}

aclError aclmdlRICaptureTaskGrpEnd(aclrtStream stream, aclrtTaskGrp *handle) {
  NPUMOCK_ENTER("aclmdlRICaptureTaskGrpEnd");
  if (stream == nullptr || handle == nullptr) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = task_group_stream(stream, &s)) return rc;
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing == nullptr) return ACL_ERROR_RT_STREAM_NOT_CAPTURED;
  *handle = nullptr;
  if (s->grouping == nullptr) return ACL_ERROR_STREAM_TASK_GROUP_STATUS;
  TaskGroup *grp = s->grouping;
  s->grouping = nullptr;
  std::lock_guard<std::mutex> graph_lock(s->capturing->mu);
  grp->end = s->capturing->kernels.size();
  s->capturing->groups.push_back(grp);
  *handle = task_groups().add(grp);
  return ACL_SUCCESS;
}

aclError aclmdlRICaptureTaskUpdateBegin(aclrtStream stream, aclrtTaskGrp handle) {
  NPUMOCK_ENTER("aclmdlRICaptureTaskUpdateBegin");
  if (stream == nullptr || handle == nullptr) return ACL_ERROR_INVALID_PARAM;
  Stream *s = nullptr;
  if (aclError rc = task_group_stream(stream, &s)) return rc;
  // An unknown group handle: the runtime would dereference it; the mock refuses it.
  if (!task_groups().contains(handle)) return ACL_ERROR_RT_PARAM_INVALID;
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing != nullptr) return ACL_ERROR_RT_STREAM_CAPTURED;
  auto *grp = static_cast<TaskGroup *>(handle);
  std::lock_guard<std::mutex> graph_lock(grp->graph->mu);
  if (s->updating != nullptr || s->grouping != nullptr || grp->updating) {
    return ACL_ERROR_STREAM_TASK_GROUP_STATUS;  // the stream is busy, or another stream updates
  }
  grp->updating = true;
  s->updating = grp;
  s->update_index = 0;
  return ACL_SUCCESS;
}

aclError aclmdlRICaptureTaskUpdateEnd(aclrtStream stream) {
  NPUMOCK_ENTER("aclmdlRICaptureTaskUpdateEnd");
  Stream *s = nullptr;
  if (aclError rc = task_group_stream(stream, &s)) return rc;
  std::lock_guard<std::mutex> lock(s->capture_mu);
  if (s->capturing != nullptr) return ACL_ERROR_RT_STREAM_CAPTURED;
  if (s->updating == nullptr) return ACL_ERROR_STREAM_TASK_GROUP_STATUS;
  TaskGroup *grp = s->updating;
  const size_t rewritten = s->update_index;
  s->updating = nullptr;
  s->update_index = 0;
  {
    std::lock_guard<std::mutex> graph_lock(grp->graph->mu);
    grp->updating = false;
  }
  // Fewer launches than the group has tasks: RT_ERROR_STREAM_TASKGRP_UPDATE.
  return rewritten == grp->end - grp->begin ? ACL_SUCCESS : ACL_ERROR_RT_INTERNAL_ERROR;
}

}  // extern "C"
