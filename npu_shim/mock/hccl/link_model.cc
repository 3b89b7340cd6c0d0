#include "hccl/link_model.h"

#include <cstdlib>
#include <ctime>

namespace npumock::hccl {
namespace {

uint64_t env_u64(const char *name, uint64_t fallback) {
  const char *v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char *end = nullptr;
  const unsigned long long parsed = strtoull(v, &end, 0);
  return (end != nullptr && *end == '\0') ? uint64_t(parsed) : fallback;
}

}  // namespace

const LinkKnobs &link_knobs() {
  static const LinkKnobs knobs = [] {
    LinkKnobs k;
    if (const char *g = getenv("NPU_MOCK_HCCL_GBPS")) {
      const double d = atof(g);
      if (d > 0) k.gbps = d;
    }
    k.latency_ns = env_u64("NPU_MOCK_HCCL_LATENCY_US", k.latency_ns / 1000) * 1000;
    k.host_ns = env_u64("NPU_MOCK_HCCL_HOST_US", k.host_ns / 1000) * 1000;
    const uint64_t timeout = env_u64("NPU_MOCK_HCCL_TIMEOUT_MS", k.init_timeout_ms);
    // Bounded: a rendezvous never waits forever, and 0 would fail every init.
    k.init_timeout_ms = uint32_t(timeout == 0 || timeout > 3600000 ? k.init_timeout_ms : timeout);
    return k;
  }();
  return knobs;
}

namespace {
uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}
}  // namespace

void spend_enqueue_host_time() {
  const uint64_t ns = link_knobs().host_ns;
  if (ns == 0) return;
  const uint64_t until = monotonic_ns() + ns;
  while (monotonic_ns() < until) {
  }
}

uint64_t collective_duration_ns(uint64_t bytes) {
  const LinkKnobs &k = link_knobs();
  return k.latency_ns + uint64_t(double(bytes) / k.gbps);
}

}  // namespace npumock::hccl
