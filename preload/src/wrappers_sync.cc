// Blocking waits, events and graph capture: what closes a step and what cuts it (the step
// model of architecture.md lives in probes/; these only report the calls).
#include "capture_streams.h"
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"

using npuprobe::preload::g_capture_streams;
using npuprobe::preload::HookId;
using npuprobe::preload::measure_plain;
using npuprobe::preload::measure_sync;
using npuprobe::probes::SyncApi;

NPUPROBE_HOOK(aclError, aclrtSynchronizeStream, (aclrtStream stream), (stream)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeStream, SyncApi::kStream, nullptr,
                      [&] { return real(stream); });
}

NPUPROBE_HOOK(aclError, aclrtSynchronizeStreamWithTimeout, (aclrtStream stream, int32_t timeout),
              (stream, timeout)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeStreamWithTimeout, SyncApi::kStream, nullptr,
                      [&] { return real(stream, timeout); });
}

NPUPROBE_HOOK0(aclError, aclrtSynchronizeDevice) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeDevice, SyncApi::kDevice, nullptr,
                      [&] { return real(); });
}

NPUPROBE_HOOK(aclError, aclrtSynchronizeDeviceWithTimeout, (int32_t timeout), (timeout)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeDeviceWithTimeout, SyncApi::kDevice, nullptr,
                      [&] { return real(timeout); });
}

NPUPROBE_HOOK(aclError, aclrtSynchronizeEvent, (aclrtEvent event), (event)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeEvent, SyncApi::kEvent, event,
                      [&] { return real(event); });
}

// A synchronous copy involving the device waits for the stream's earlier work.
NPUPROBE_HOOK(aclError, aclrtMemcpy,
              (void *dst, size_t dest_max, const void *src, size_t count, int kind),
              (dst, dest_max, src, count, kind)) {
  static_cast<void>(caller);
  auto copy = [&] { return real(dst, dest_max, src, count, kind); };
  if (kind == ACL_MEMCPY_HOST_TO_HOST) return measure_plain(HookId::aclrtMemcpy, copy);
  return measure_sync(HookId::aclrtMemcpy, SyncApi::kMemcpy, nullptr, copy);
}

// Synchronous model execution is both a launch (it enqueues the model) and the wait for it.
NPUPROBE_HOOK(aclError, aclmdlExecute,
              (uint32_t model_id, const aclmdlDataset *input, aclmdlDataset *output),
              (model_id, input, output)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  ThreadState &t = thread_state();
  if (!should_measure(t)) return real(model_id, input, output);
  std::uint64_t t0, t1;
  SyncCapture capture(t, SyncApi::kModel, &t0);
  const aclError rc = timed_call_end(t, [&] { return real(model_id, input, output); }, &t1);
  capture.finish(t0, t1);
  npuprobe::probes::Probes &probes = active_probes();
  if (rc == ACL_SUCCESS) probes.on_launch(t.device, npuprobe::probes::LaunchApi::kModel, t0, t1);
  probes.on_sync(t.device, SyncApi::kModel, nullptr, t0, t1);
  if (rc != ACL_SUCCESS) probes.on_api_error(hook_api_id(HookId::aclmdlExecute), rc);
  return rc;
}

NPUPROBE_HOOK(aclError, aclrtRecordEvent, (aclrtEvent event, aclrtStream stream),
              (event, stream)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  return measure_plain(
      HookId::aclrtRecordEvent, [&] { return real(event, stream); },
      [&](aclError rc) {
        // An event recorded into a capturing stream is part of the graph, not a cut.
        if (rc == ACL_SUCCESS && !g_capture_streams.contains(stream)) {
          active_probes().on_record_event(thread_state().device, event, now_ns());
        }
      });
}

NPUPROBE_HOOK(aclError, aclrtDestroyEvent, (aclrtEvent event), (event)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  return measure_plain(
      HookId::aclrtDestroyEvent, [&] { return real(event); },
      [&](aclError rc) {
        if (rc == ACL_SUCCESS) active_probes().on_destroy_event(event);
      });
}

NPUPROBE_HOOK(aclError, aclrtCreateEvent, (aclrtEvent * event), (event)) {
  static_cast<void>(caller);
  return measure_plain(HookId::aclrtCreateEvent, [&] { return real(event); });
}

NPUPROBE_HOOK(aclError, aclrtCreateEventWithFlag, (aclrtEvent * event, uint32_t flag),
              (event, flag)) {
  static_cast<void>(caller);
  return measure_plain(HookId::aclrtCreateEventWithFlag, [&] { return real(event, flag); });
}

// Capture state is tracked even while npuprobe is switched off, so that switching it on in the
// middle of a capture still labels the captured launches right.
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
