#include "mspti/record_values.h"

#include <time.h>

#include <cstdlib>
#include <cstring>

#include "npu/visible_devices.h"

namespace msptimock {
namespace {

std::int64_t clock_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// MSPTI pairs one device counter reading with the realtime clock when it starts a device
// (ContextManager::InitDevTimeInfo) and converts every timestamp from there; the mock's device
// clock is CLOCK_MONOTONIC, so one offset taken at first use does the same.
std::int64_t realtime_offset() {
  static const std::int64_t offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
  return offset;
}

struct TimeKnobs {
  bool ticks = false;
  std::uint64_t mhz = 50;
};

const TimeKnobs &time_knobs() {
  static const TimeKnobs knobs = [] {
    TimeKnobs k;
    const char *base = getenv("NPU_MOCK_MSPTI_TIME");
    k.ticks = base != nullptr && strcmp(base, "ticks") == 0;
    const char *mhz = getenv("NPU_MOCK_SYSCNT_MHZ");
    if (mhz != nullptr && atol(mhz) > 0) k.mhz = std::uint64_t(atol(mhz));
    return k;
  }();
  return knobs;
}

}  // namespace

bool kernel_type_recorded(const char *type) {
  return type != nullptr && strncmp(type, "KERNEL", 6) == 0;
}

std::uint32_t record_device_id(std::uint32_t user_device) {
  static const npu::VisibleDevices visible =
      npu::VisibleDevices::parse(getenv("ASCEND_RT_VISIBLE_DEVICES"));
  return visible.to_driver(user_device);
}

std::uint64_t record_device_time(std::uint64_t monotonic_ns) {
  const TimeKnobs &k = time_knobs();
  if (k.ticks) return monotonic_ns / 1000 * k.mhz + monotonic_ns % 1000 * k.mhz / 1000;
  return record_host_time(monotonic_ns);
}

std::uint64_t record_host_time(std::uint64_t monotonic_ns) {
  return std::uint64_t(std::int64_t(monotonic_ns) + realtime_offset());
}

}  // namespace msptimock
