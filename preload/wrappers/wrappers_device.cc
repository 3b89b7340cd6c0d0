// Device selection and process-level setup. aclrtSetDevice decides the `device` label of
// everything the thread does afterwards; aclrtResetDevice and aclFinalize are where a process
// that ends with _exit (Python multiprocessing workers) still gets its last counts published.
#include <link.h>

#include "context_devices.h"
#include "elf_symbols.h"
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
  if (rc == ACL_SUCCESS) npuprobe::preload::g_context_devices.forget_device(device);
  if (npuprobe::preload::thread_state().depth == 0) npuprobe::preload::flush_now();
  return rc;
}

namespace npuprobe::preload {

ContextDevices g_context_devices;

namespace {

// The thread now works on `device`, however it was bound.
void bind_thread_to(int32_t device) noexcept {
  thread_state().device = device;
  if (note_device_used(device)) on_first_use_of_device();
}

// aclrtGetDevice of the library that defined `set_current_context` (the runtime the
// application uses, even when it was opened RTLD_LOCAL and RTLD_NEXT cannot see it).
decltype(&::aclrtGetDevice) get_device_beside(const void *set_current_context) noexcept {
  static std::atomic<decltype(&::aclrtGetDevice)> cached{nullptr};
  decltype(&::aclrtGetDevice) fn = cached.load(std::memory_order_acquire);
  if (fn != nullptr) return fn;
  Dl_info info;
  link_map *map = nullptr;
  if (dladdr1(set_current_context, &info, reinterpret_cast<void **>(&map), RTLD_DL_LINKMAP) != 0 &&
      map != nullptr) {
    fn = reinterpret_cast<decltype(&::aclrtGetDevice)>(defined_in(map, "aclrtGetDevice"));
  }
  if (fn == nullptr) {
    fn = reinterpret_cast<decltype(&::aclrtGetDevice)>(lookup_symbol(RTLD_NEXT, "aclrtGetDevice"));
  }
  if (fn != nullptr) cached.store(fn, std::memory_order_release);
  return fn;
}

}  // namespace
}  // namespace npuprobe::preload

// aclrtCreateContext binds the new context to the calling thread (acl_rt.h).
NPUPROBE_HOOK(aclError, aclrtCreateContext, (aclrtContext * context, int32_t device_id),
              (context, device_id)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  const aclError rc =
      measure_plain(HookId::aclrtCreateContext, [&] { return real(context, device_id); });
  if (rc == ACL_SUCCESS && context != nullptr) {
    g_context_devices.set(*context, device_id);
    bind_thread_to(device_id);
  }
  return rc;
}

// Tracked at any depth and while off, like aclrtSetDevice. An unknown context (a device's
// default one, passed between threads) is asked of the runtime once: aclrtGetDevice now answers
// for the context just set.
NPUPROBE_HOOK(aclError, aclrtSetCurrentContext, (aclrtContext context), (context)) {
  static_cast<void>(caller);
  using namespace npuprobe::preload;
  const aclError rc = measure_plain(HookId::aclrtSetCurrentContext, [&] { return real(context); });
  if (rc != ACL_SUCCESS) return rc;
  int32_t device = 0;
  if (!g_context_devices.find(context, &device)) {
    const auto get_device = get_device_beside(reinterpret_cast<const void *>(real));
    ThreadState &t = thread_state();
    ++t.depth;  // npuprobe's own call: never measured
    const bool known = get_device != nullptr && get_device(&device) == ACL_SUCCESS;
    --t.depth;
    if (!known) return rc;
    g_context_devices.set(context, device);
  }
  bind_thread_to(device);
  return rc;
}
