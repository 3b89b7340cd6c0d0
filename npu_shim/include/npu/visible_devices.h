// ASCEND_RT_VISIBLE_DEVICES as the runtime reads it: the user's device i (what aclrtSetDevice
// takes) is the driver's device list[i]. The runtime keeps digit tokens separated by commas up
// to the first token that is not one (hicann/runtime src/runtime/core/src/runtime.cc
// Runtime::GetVisibleDevices; ChgUserDevIdToDeviceId maps user -> driver id). Its task track,
// and so MSPTI's kernel records, carry the driver's id (docs/ascend-stack.md, "MSPTI activity
// records"). Used by the fake runtime (to make the ids) and by npuprobe (to map them back).
#ifndef NPU_VISIBLE_DEVICES_H
#define NPU_VISIBLE_DEVICES_H

#include <cstddef>
#include <cstdint>

namespace npu {

struct VisibleDevices {
  static constexpr int kMax = 64;
  int count = 0;                 // 0: not set (user id == driver id)
  std::uint32_t driver[kMax] = {};  // driver[user]

  // The list of `text` (null or empty: not set). Tokens past the first non-digit one, a value
  // of 64 or more, a value not above the previous one (the runtime refuses a list out of
  // ascending order or with a repeat) end the list.
  static VisibleDevices parse(const char *text) noexcept {
    VisibleDevices v;
    if (text == nullptr) return v;
    const char *p = text;
    while (*p != '\0' && v.count < kMax) {
      std::uint32_t value = 0;
      int digits = 0;
      while (*p >= '0' && *p <= '9' && digits < 3) value = value * 10 + std::uint32_t(*p++ - '0'), ++digits;
      if (digits == 0 || (*p != ',' && *p != '\0') || value >= std::uint32_t(kMax)) break;
      if (v.count > 0 && value <= v.driver[v.count - 1]) break;
      v.driver[v.count++] = value;
      if (*p == ',') ++p;
    }
    return v;
  }

  // The driver's id of user device `user` (itself when not listed).
  std::uint32_t to_driver(std::uint32_t user) const noexcept {
    return (count > 0 && user < std::uint32_t(count)) ? driver[user] : user;
  }
  // The user's id of driver device `id` (itself when not listed).
  std::uint32_t to_user(std::uint32_t id) const noexcept {
    for (int i = 0; i < count; ++i) {
      if (driver[i] == id) return std::uint32_t(i);
    }
    return id;
  }
};

}  // namespace npu

#endif  // NPU_VISIBLE_DEVICES_H
