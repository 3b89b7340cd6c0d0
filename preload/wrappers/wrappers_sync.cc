// Blocking waits and events: what closes a step and what cuts it (the step model of
// docs/architecture.md lives in probes/; these only report the calls).
#include "capture_streams.h"
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"

using npuprobe::preload::g_capture_streams;
using npuprobe::preload::g_update_streams;
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

NPUPROBE_HOOK(aclError, aclrtSynchronizeEventWithTimeout, (aclrtEvent event, int32_t timeout),
              (event, timeout)) {
  static_cast<void>(caller);
  return measure_sync(HookId::aclrtSynchronizeEventWithTimeout, SyncApi::kEvent, event,
                      [&] { return real(event, timeout); });
}

// Synchronous model execution is both a launch (it enqueues the model) and the wait for it.
NPUPROBE_HOOK(aclError, aclmdlExecute,
              (uint32_t model_id, const aclmdlDataset *input, aclmdlDataset *output),
              (model_id, input, output)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_launch_and_wait(
      HookId::aclmdlExecute, npuprobe::probes::LaunchApi::kModel, SyncApi::kModel,
      [&] { return real(model_id, input, output); });
}

NPUPROBE_HOOK(aclError, aclrtRecordEvent, (aclrtEvent event, aclrtStream stream),
              (event, stream)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  return measure_plain(
      HookId::aclrtRecordEvent, [&] { return real(event, stream); },
      [&](aclError rc) {
        // An event recorded into a graph (capture, task update) is part of it, not a cut.
        if (rc == ACL_SUCCESS && !g_capture_streams.contains(stream) &&
            !g_update_streams.contains(stream)) {
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
