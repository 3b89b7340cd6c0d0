// ASCEND_RT_VISIBLE_DEVICES as the CANN runtime reads it (hicann/runtime
// src/runtime/core/src/runtime.cc, Runtime::GetVisibleDevices, called once from Runtime::Init):
// the process sees the listed host devices as user devices 0..n-1, in the listed order.
#pragma once

#include <cstdint>

namespace npumock {

struct VisibleDevices {
  bool set = false;      // the variable is present
  bool valid = true;     // false: descending, duplicated or no usable id (GetDeviceCount fails)
  int count = 0;         // user devices (= NPU_MOCK_DEVICES when unset)
  int host_id[64] = {};  // user device -> host device id (the id listed in the variable)
};

// Parses `value` (may be null) against `device_count` host devices, with the runtime's rules:
// tokens split on ','; reading stops at the first token that is not all digits or names no
// device (>= device_count); ids must ascend and not repeat.
VisibleDevices parse_visible_devices(const char *value, int device_count);

// The process's mapping, read once (the runtime reads it once, at its first initialisation).
const VisibleDevices &visible_devices();

}  // namespace npumock
