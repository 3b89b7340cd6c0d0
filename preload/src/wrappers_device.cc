// Device selection and process-level setup. aclrtSetDevice decides the `device` label of
// everything the thread does afterwards; aclrtResetDevice and aclFinalize are where a process
// that ends with _exit (Python multiprocessing workers) still gets its last counts published.
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"
#include "status_entry.h"

using npuprobe::preload::HookId;
using npuprobe::preload::measure_plain;

NPUPROBE_HOOK(aclError, aclInit, (const char *config_path), (config_path)) {
  static_cast<void>(caller);
  return measure_plain(HookId::aclInit, [&] { return real(config_path); });
}

NPUPROBE_HOOK0(aclError, aclFinalize) {
  static_cast<void>(caller);
  if (npuprobe::preload::thread_state().depth == 0) npuprobe::preload::before_acl_finalize();
  const aclError rc = measure_plain(HookId::aclFinalize, [&] { return real(); });
  if (npuprobe::preload::thread_state().depth == 0) npuprobe::preload::flush_now();
  return rc;
}

// The device id is tracked even while npuprobe is off (a plain store), so that switching it on
// later labels this thread's calls right.
NPUPROBE_HOOK(aclError, aclrtSetDevice, (int32_t device), (device)) {
  static_cast<void>(caller);
  const aclError rc = measure_plain(HookId::aclrtSetDevice, [&] { return real(device); });
  if (rc == ACL_SUCCESS) {
    npuprobe::preload::thread_state().device = device;
    // At any depth: libmspti forwards SetDevice through npuprobe's export again, and the
    // nested call is the one that sees the device first.
    if (npuprobe::preload::note_device_used(device)) npuprobe::preload::on_first_use_of_device();
  }
  return rc;
}

NPUPROBE_HOOK(aclError, aclrtResetDevice, (int32_t device), (device)) {
  static_cast<void>(caller);
  const aclError rc = measure_plain(HookId::aclrtResetDevice, [&] { return real(device); });
  if (npuprobe::preload::thread_state().depth == 0) npuprobe::preload::flush_now();
  return rc;
}
