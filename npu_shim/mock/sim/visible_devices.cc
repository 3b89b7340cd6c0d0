#include "sim/visible_devices.h"

#include <cstdlib>
#include <string>

#include "sim/knobs.h"

namespace npumock {
namespace {

bool all_digits(const std::string &s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

VisibleDevices parse_visible_devices(const char *value, int device_count) {
  VisibleDevices v;
  if (value == nullptr) {
    v.count = device_count;
    for (int i = 0; i < device_count && i < 64; ++i) v.host_id[i] = i;
    return v;
  }
  v.set = true;
  const std::string text = value;
  std::size_t start = 0;
  while (start <= text.size() && v.count < device_count && v.count < 64) {
    const std::size_t comma = text.find(',', start);
    const std::string token =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    // A non-numeric token or an id the host does not have ends the list (what came before
    // stays visible), as the runtime does; its docs give "1, 2,3" -> device 1 only.
    if (!all_digits(token) || token.size() > 9) break;
    const int id = std::atoi(token.c_str());
    if (id > device_count - 1) break;
    for (int j = 0; j < v.count; ++j) {
      if (v.host_id[j] >= id) {  // RT_ALL_ORDER_ERROR / RT_ALL_DUPLICATED_ERROR
        v.valid = false;
        v.count = 0;
        return v;
      }
    }
    v.host_id[v.count++] = id;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (v.count == 0) v.valid = false;  // RT_ALL_DATA_ERROR
  return v;
}

const VisibleDevices &visible_devices() {
  // note: leaked on purpose, like the knobs: device threads may read it during exit.
  static const VisibleDevices *v = new VisibleDevices(
      parse_visible_devices(std::getenv("ASCEND_RT_VISIBLE_DEVICES"), knobs().device_count));
  return *v;
}

}  // namespace npumock
