// The simulated device's configuration, read once from NPU_MOCK_* variables (mock README).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace npumock {

struct Knobs {
  int device_count = 8;                    // NPU_MOCK_DEVICES
  uint64_t hbm_bytes = 64ull << 30;        // NPU_MOCK_HBM_BYTES, per device
  uint64_t hbm_reserved_bytes = 0;         // NPU_MOCK_HBM_RESERVED_BYTES: runtime's own share
  double copy_gbps = 20.0;                 // NPU_MOCK_COPY_GBPS: simulated copy bandwidth
  uint32_t compile_us = 0;                 // NPU_MOCK_COMPILE_US: aclopCompileAndExecute extra
  const char *stats_file = nullptr;        // NPU_MOCK_STATS_FILE: JSON written at exit
  std::atomic<uint32_t> kernel_us{10};     // NPU_MOCK_KERNEL_US
  std::atomic<uint32_t> launch_host_us{0}; // NPU_MOCK_LAUNCH_HOST_US
};

// Process-wide knobs; the first call reads the environment.
Knobs &knobs();

}  // namespace npumock
