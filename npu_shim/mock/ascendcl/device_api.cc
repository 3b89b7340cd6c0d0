// aclInit / aclFinalize and device binding.
#include <mutex>

#include "ascendcl/runtime.h"
#include "sim/knobs.h"

using namespace npumock;

namespace {
std::mutex g_init_mu;
int g_init_count = 0;
int g_device_refs[64] = {};

struct Context {
  int device;
};
HandleSet<Context> &contexts() {
  static auto *s = new HandleSet<Context>;
  return *s;
}
}  // namespace

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
  set_current_device(deviceId);
  return ACL_SUCCESS;
}

aclError aclrtGetDevice(int32_t *deviceId) {
  NPUMOCK_ENTER("aclrtGetDevice");
  if (deviceId == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (current_device() < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  *deviceId = current_device();
  return ACL_SUCCESS;
}

aclError aclrtResetDevice(int32_t deviceId) {
  NPUMOCK_ENTER("aclrtResetDevice");
  Device *dev = device_if_started(deviceId);
  if (deviceId < 0 || deviceId >= knobs().device_count) return ACL_ERROR_RT_INVALID_DEVICEID;
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (dev == nullptr || g_device_refs[deviceId] == 0) return ACL_ERROR_RT_CONTEXT_NULL;
  --g_device_refs[deviceId];
  dev->wait_idle();
  if (current_device() == deviceId) set_current_device(-1);
  return ACL_SUCCESS;
}

aclError aclrtGetDeviceCount(uint32_t *count) {
  NPUMOCK_ENTER("aclrtGetDeviceCount");
  if (count == nullptr) return ACL_ERROR_INVALID_PARAM;
  *count = uint32_t(knobs().device_count);
  return ACL_SUCCESS;
}

aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId) {
  NPUMOCK_ENTER("aclrtCreateContext");
  if (context == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (device(deviceId) == nullptr) return ACL_ERROR_RT_INVALID_DEVICEID;
  *context = contexts().add(new Context{deviceId});
  set_current_device(deviceId);  // a new context becomes the thread's current one
  return ACL_SUCCESS;
}

aclError aclrtDestroyContext(aclrtContext context) {
  NPUMOCK_ENTER("aclrtDestroyContext");
  if (!contexts().remove(context)) return ACL_ERROR_RT_PARAM_INVALID;
  delete static_cast<Context *>(context);
  return ACL_SUCCESS;
}

}  // extern "C"
