// aclInit / aclFinalize and device binding.
#include <atomic>
#include <mutex>

#include "ascendcl/runtime.h"
#include "sim/knobs.h"
#include "sim/visible_devices.h"

using namespace npumock;

namespace {
std::mutex g_init_mu;
int g_init_count = 0;
int g_device_refs[64] = {};
std::atomic<void (*)()> g_msprof_finalize{nullptr};

// Destroyed contexts stay allocated (a thread may still point at one) and reachable from here.
HandleSet<Context> &retired_contexts() {
  static auto *s = new HandleSet<Context>;
  return *s;
}
}  // namespace

namespace npumock {
void set_msprof_finalize(void (*finalize)()) { g_msprof_finalize.store(finalize); }
}  // namespace npumock

extern "C" {

aclError aclInit(const char *configPath) {
  NPUMOCK_ENTER("aclInit");
  (void)configPath;  // a JSON dump config on a real host; nothing to configure here
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (g_init_count++ > 0) return ACL_ERROR_REPEAT_INITIALIZE;
  return ACL_SUCCESS;
}

aclError aclFinalize(void) {
  NPUMOCK_ENTER("aclFinalize");
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (g_init_count == 0) return ACL_ERROR_UNINITIALIZE;
  g_init_count = 0;
  if (void (*finalize)() = g_msprof_finalize.load()) finalize();  // aclprof ends here
  // Finalize drains every device, as the real runtime does before tearing down.
  for (int d = 0; d < knobs().device_count; ++d) {
    if (Device *dev = device_if_started(d)) dev->wait_idle();
  }
  return ACL_SUCCESS;
}

aclError aclrtSetDevice(int32_t deviceId) {
  NPUMOCK_ENTER("aclrtSetDevice");
  if (device(deviceId) == nullptr) return ACL_ERROR_RT_INVALID_DEVICEID;
  std::lock_guard<std::mutex> lock(g_init_mu);
  ++g_device_refs[deviceId];
  set_current_context(primary_context(deviceId));  // the thread now uses the primary context
  return ACL_SUCCESS;
}

// The device of the thread's current context (ApiImpl::ContextGetDevice).
aclError aclrtGetDevice(int32_t *deviceId) {
  NPUMOCK_ENTER("aclrtGetDevice");
  if (deviceId == nullptr) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  *deviceId = dev;
  return ACL_SUCCESS;
}

aclError aclrtResetDevice(int32_t deviceId) {
  NPUMOCK_ENTER("aclrtResetDevice");
  Device *dev = device_if_started(deviceId);
  if (deviceId < 0 || deviceId >= visible_devices().count) return ACL_ERROR_RT_INVALID_DEVICEID;
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (dev == nullptr || g_device_refs[deviceId] == 0) return ACL_ERROR_RT_CONTEXT_NULL;
  --g_device_refs[deviceId];
  dev->wait_idle();
  if (current_context() == primary_context(deviceId)) set_current_context(nullptr);
  return ACL_SUCCESS;
}

aclError aclrtGetDeviceCount(uint32_t *count) {
  NPUMOCK_ENTER("aclrtGetDeviceCount");
  if (count == nullptr) return ACL_ERROR_INVALID_PARAM;
  // ApiImpl::GetDeviceCount: the visible count; an unusable ASCEND_RT_VISIBLE_DEVICES
  // (descending, repeated, nothing readable) is RT_ERROR_DRV_NO_DEVICE = ACL_ERROR_RT_NO_DEVICE.
  const VisibleDevices &visible = visible_devices();
  if (!visible.valid) return ACL_ERROR_RT_NO_DEVICE;
  *count = uint32_t(visible.count);
  return ACL_SUCCESS;
}

// Contexts follow src/acl/aclrt_impl/context.cpp over the runtime's ApiErrorDecorator and
// ApiImpl (src/runtime/api/impl): the ACL layer checks pointers (ACL_ERROR_INVALID_PARAM), the
// runtime validates the context and returns its own codes. A created context becomes the
// calling thread's current one (ApiImpl::ContextCreate calls ContextSetCurrent).
aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId) {
  NPUMOCK_ENTER("aclrtCreateContext");
  if (context == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (device(deviceId) == nullptr) return ACL_ERROR_RT_INVALID_DEVICEID;
  auto *c = new Context;
  c->device = deviceId;
  *context = contexts().add(c);
  set_current_context(c);
  return ACL_SUCCESS;
}

aclError aclrtDestroyContext(aclrtContext context) {
  NPUMOCK_ENTER("aclrtDestroyContext");
  if (context == nullptr) return ACL_ERROR_INVALID_PARAM;
  auto *c = static_cast<Context *>(context);
  // Unknown, already destroyed, or a primary context: RT_ERROR_CONTEXT_NULL.
  if (!contexts().contains(context) || c->primary) return ACL_ERROR_RT_CONTEXT_NULL;
  if (c->destroyed.exchange(true, std::memory_order_acq_rel)) return ACL_ERROR_RT_CONTEXT_NULL;
  contexts().remove(context);
  retired_contexts().add(c);  // never freed: other threads may still hold it as current
  if (current_context() == nullptr) set_current_context(nullptr);
  return ACL_SUCCESS;
}

aclError aclrtSetCurrentContext(aclrtContext context) {
  NPUMOCK_ENTER("aclrtSetCurrentContext");
  if (context == nullptr) return ACL_ERROR_INVALID_PARAM;
  // ApiErrorDecorator::ContextSetCurrent: an invalid context is RT_ERROR_INVALID_VALUE.
  if (!contexts().contains(context)) return ACL_ERROR_RT_PARAM_INVALID;
  set_current_context(static_cast<Context *>(context));
  return ACL_SUCCESS;
}

aclError aclrtGetCurrentContext(aclrtContext *context) {
  NPUMOCK_ENTER("aclrtGetCurrentContext");
  if (context == nullptr) return ACL_ERROR_INVALID_PARAM;
  Context *c = current_context();
  if (c == nullptr) return ACL_ERROR_RT_CONTEXT_NULL;
  *context = c;
  return ACL_SUCCESS;
}

}  // extern "C"
