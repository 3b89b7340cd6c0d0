// Offline models (aclmdlLoadFromMem, aclmdlExecute*): one host call, many kernels. Captured
// graphs (aclmdlRI*) are in graph_api.cc. In the split layout (lib-split/) these live in the
// compat libascendcl.so, not in libacl_rt.so.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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

aclError enqueue_model(Stream *s, const Model &m) {
  for (uint32_t i = 0; i < m.kernels; ++i) {
    const KernelSpec k{m.name, intern("KERNEL_AICORE"), kernel_duration_ns(m.kernel_us)};
    if (aclError rc = enqueue_kernel(s, k)) return rc;
  }
  return ACL_SUCCESS;
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
  if (aclError rc = enqueue_model(s, m)) return rc;
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
  return enqueue_model(s, m);
}

}  // extern "C"
