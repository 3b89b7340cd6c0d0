#include "sim/knobs.h"

#include <cstdlib>
#include <cstring>

namespace npumock {
namespace {

uint64_t env_u64(const char *name, uint64_t fallback) {
  const char *v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char *end = nullptr;
  unsigned long long parsed = strtoull(v, &end, 0);
  return (end != nullptr && *end == '\0') ? uint64_t(parsed) : fallback;
}

}  // namespace

Knobs &knobs() {
  // note: leaked on purpose; device threads may still read it while the process exits.
  static Knobs *k = [] {
    auto *kn = new Knobs;
    kn->device_count = int(env_u64("NPU_MOCK_DEVICES", 8));
    if (kn->device_count < 1 || kn->device_count > 64) kn->device_count = 8;
    kn->hbm_bytes = env_u64("NPU_MOCK_HBM_BYTES", kn->hbm_bytes);
    kn->hbm_reserved_bytes = env_u64("NPU_MOCK_HBM_RESERVED_BYTES", 0);
    if (kn->hbm_reserved_bytes > kn->hbm_bytes) kn->hbm_reserved_bytes = kn->hbm_bytes;
    if (const char *g = getenv("NPU_MOCK_COPY_GBPS")) {
      double d = atof(g);
      if (d > 0) kn->copy_gbps = d;
    }
    kn->compile_us = uint32_t(env_u64("NPU_MOCK_COMPILE_US", 0));
    const char *sf = getenv("NPU_MOCK_STATS_FILE");
    kn->stats_file = (sf != nullptr && *sf != '\0') ? strdup(sf) : nullptr;
    kn->kernel_us.store(uint32_t(env_u64("NPU_MOCK_KERNEL_US", 10)));
    kn->launch_host_us.store(uint32_t(env_u64("NPU_MOCK_LAUNCH_HOST_US", 0)));
    return kn;
  }();
  return *k;
}

}  // namespace npumock
