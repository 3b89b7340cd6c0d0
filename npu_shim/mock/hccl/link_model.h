// The simulated link between mock devices: every collective occupies its device for
// latency + bytes / bandwidth, so that its device-side duration is known in advance. Read once
// from NPU_MOCK_HCCL_* (mock README, "Knobs"); libhccl keeps its own copy of these few knobs
// (libascendcl exports no C++ internals in the classic layout).
#pragma once

#include <cstdint>

namespace npumock::hccl {

struct LinkKnobs {
  double gbps = 50.0;                // NPU_MOCK_HCCL_GBPS: link bandwidth, 1e9 bytes/s
  uint64_t latency_ns = 10000;       // NPU_MOCK_HCCL_LATENCY_US: per collective
  uint32_t init_timeout_ms = 30000;  // NPU_MOCK_HCCL_TIMEOUT_MS: comm init rendezvous
  uint64_t host_ns = 20000;          // NPU_MOCK_HCCL_HOST_US: host time of one enqueue
};

const LinkKnobs &link_knobs();

// Host time of one collective's enqueue: HCCL builds the collective's tasks on the host before
// it hands them to the stream (a model, mock README "Knobs"). Spins: the caller's thread is busy,
// as it is inside the real library.
void spend_enqueue_host_time();

// Device time of one collective that moves `bytes` (docs/contract.md, npu:hccl_bytes).
uint64_t collective_duration_ns(uint64_t bytes);

}  // namespace npumock::hccl
