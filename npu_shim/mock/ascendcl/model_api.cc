// Offline models (aclmdlExecute*) and captured graphs (aclmdlRI*): one host call, many kernels.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ascendcl/runtime.h"
#include "sim/activity.h"

using namespace npumock;

namespace {

std::mutex g_models_mu;
std::unordered_map<uint32_t, Model> &models() {
  static auto *m = new std::unordered_map<uint32_t, Model>;
  return *m;
}
uint32_t g_next_model_id = 1;

void enqueue_model(Stream *s, const Model &m) {
  for (uint32_t i = 0; i < m.kernels; ++i) {
    enqueue_kernel(s, KernelSpec{m.name, intern("KERNEL_AICORE"), kernel_duration_ns(m.kernel_us)});
  }
}

aclError find_model(uint32_t modelId, Model *out) {
  std::lock_guard<std::mutex> lock(g_models_mu);
  auto it = models().find(modelId);
  if (it == models().end()) return ACL_ERROR_INVALID_MODEL_ID;
  *out = it->second;
  return ACL_SUCCESS;
}

}  // namespace

extern "C" {

// The mock's "om" format is text: "kernels=N;kernel_us=D;name=S" (all optional).
aclError aclmdlLoadFromMem(const void *model, size_t modelSize, uint32_t *modelId) {
  NPUMOCK_ENTER("aclmdlLoadFromMem");
  if (model == nullptr || modelSize == 0 || modelId == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (current_device() < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  std::string text(static_cast<const char *>(model), modelSize);
  Model m;
  char name[128] = "model";
  unsigned kernels = 1, us = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    if (sscanf(item.c_str(), "kernels=%u", &kernels) != 1 &&
        sscanf(item.c_str(), "kernel_us=%u", &us) != 1 &&
        sscanf(item.c_str(), "name=%127s", name) != 1 && !item.empty()) {
      return ACL_ERROR_INVALID_PARAM;  // not a model the mock understands
    }
    pos = end + 1;
  }
  m.kernels = kernels;
  m.kernel_us = us;
  m.name = intern(name);
  std::lock_guard<std::mutex> lock(g_models_mu);
  *modelId = g_next_model_id++;
  models()[*modelId] = m;
  return ACL_SUCCESS;
}

aclError aclmdlUnload(uint32_t modelId) {
  NPUMOCK_ENTER("aclmdlUnload");
  std::lock_guard<std::mutex> lock(g_models_mu);
  return models().erase(modelId) ? ACL_SUCCESS : ACL_ERROR_INVALID_MODEL_ID;
}

aclError aclmdlExecute(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output) {
  NPUMOCK_ENTER("aclmdlExecute");
  (void)input, (void)output;
  Model m;
  if (aclError rc = find_model(modelId, &m)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(nullptr, &s)) return rc;
  spend_launch_host_time();
  enqueue_model(s, m);
  device(s->device)->wait_for(s->last_seq.load(std::memory_order_acquire));  // synchronous
  return ACL_SUCCESS;
}

aclError aclmdlExecuteAsync(uint32_t modelId, const aclmdlDataset *input, aclmdlDataset *output,
                            aclrtStream stream) {
  NPUMOCK_ENTER("aclmdlExecuteAsync");
  (void)input, (void)output;
  Model m;
  if (aclError rc = find_model(modelId, &m)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  spend_launch_host_time();
  enqueue_model(s, m);
  return ACL_SUCCESS;
}

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
  *modelRI = graphs().add(s->capturing);
  s->capturing = nullptr;
  return ACL_SUCCESS;
}

aclError aclmdlRIExecuteAsync(aclmdlRI modelRI, aclrtStream stream) {
  NPUMOCK_ENTER("aclmdlRIExecuteAsync");
  if (modelRI == nullptr || !graphs().contains(modelRI)) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  auto *g = static_cast<Graph *>(modelRI);
  if (g->device != s->device) return ACL_ERROR_RT_STREAM_CONTEXT;
  spend_launch_host_time();
  for (const KernelSpec &k : g->kernels) enqueue_kernel(s, k);
  return ACL_SUCCESS;
}

aclError aclmdlRIDestroy(aclmdlRI modelRI) {
  NPUMOCK_ENTER("aclmdlRIDestroy");
  if (modelRI == nullptr || !graphs().remove(modelRI)) return ACL_ERROR_RT_PARAM_INVALID;
  delete static_cast<Graph *>(modelRI);
  return ACL_SUCCESS;
}

}  // extern "C"
