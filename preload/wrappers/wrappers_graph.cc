// Graphs (aclmdlRI): capture, task groups and their updates, replay. Launches on a stream that
// is capturing count as api="capture", launches on a stream that is updating a captured task
// group as api="graph_update"; neither opens a step (the device runs nothing then). Capture and
// update state is tracked even while npuprobe is switched off, so that switching it on in the
// middle of one still labels the launches right.
#include "capture_streams.h"
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"

using npuprobe::preload::g_capture_streams;
using npuprobe::preload::g_update_streams;
using npuprobe::preload::HookId;
using npuprobe::preload::measure_plain;

NPUPROBE_HOOK(aclError, aclmdlRICaptureBegin, (aclrtStream stream, int mode), (stream, mode)) {
  static_cast<void>(caller);
  const aclError rc =
      measure_plain(HookId::aclmdlRICaptureBegin, [&] { return real(stream, mode); });
  if (rc == ACL_SUCCESS) g_capture_streams.add(stream);
  return rc;
}

NPUPROBE_HOOK(aclError, aclmdlRICaptureEnd, (aclrtStream stream, aclmdlRI *graph),
              (stream, graph)) {
  static_cast<void>(caller);
  const aclError rc =
      measure_plain(HookId::aclmdlRICaptureEnd, [&] { return real(stream, graph); });
  g_capture_streams.remove(stream);
  return rc;
}

// A task group is part of a capture already under way: only errors are counted.
NPUPROBE_HOOK(aclError, aclmdlRICaptureTaskGrpBegin, (aclrtStream stream), (stream)) {
  static_cast<void>(caller);
  return measure_plain(HookId::aclmdlRICaptureTaskGrpBegin, [&] { return real(stream); });
}

NPUPROBE_HOOK(aclError, aclmdlRICaptureTaskGrpEnd, (aclrtStream stream, aclrtTaskGrp *handle),
              (stream, handle)) {
  static_cast<void>(caller);
  return measure_plain(HookId::aclmdlRICaptureTaskGrpEnd, [&] { return real(stream, handle); });
}

// vllm-ascend updates attention parameters of a captured graph between replays this way: the
// launches in between rewrite the group's tasks instead of running.
NPUPROBE_HOOK(aclError, aclmdlRICaptureTaskUpdateBegin, (aclrtStream stream, aclrtTaskGrp handle),
              (stream, handle)) {
  static_cast<void>(caller);
  const aclError rc = measure_plain(HookId::aclmdlRICaptureTaskUpdateBegin,
                                    [&] { return real(stream, handle); });
  if (rc == ACL_SUCCESS) g_update_streams.add(stream);
  return rc;
}

NPUPROBE_HOOK(aclError, aclmdlRICaptureTaskUpdateEnd, (aclrtStream stream), (stream)) {
  static_cast<void>(caller);
  const aclError rc =
      measure_plain(HookId::aclmdlRICaptureTaskUpdateEnd, [&] { return real(stream); });
  g_update_streams.remove(stream);
  return rc;
}

// Synchronous replay: a graph launch and the wait for it in one call.
NPUPROBE_HOOK(aclError, aclmdlRIExecute, (aclmdlRI graph, int32_t timeout), (graph, timeout)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_launch_and_wait(
      HookId::aclmdlRIExecute, npuprobe::probes::LaunchApi::kGraph,
      npuprobe::probes::SyncApi::kGraph, [&] { return real(graph, timeout); });
}
