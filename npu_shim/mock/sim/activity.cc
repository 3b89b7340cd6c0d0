#include "sim/activity.h"

#include <mutex>
#include <string>
#include <unordered_set>

namespace npumock {

std::atomic<npumock_activity_sink> g_kernel_sink{nullptr};
std::atomic<npumock_activity_sink> g_api_sink{nullptr};

const char *intern(const char *s) {
  static std::mutex *mu = new std::mutex;
  static auto *names = new std::unordered_set<std::string>;
  if (s == nullptr) s = "";
  std::lock_guard<std::mutex> lock(*mu);
  return names->insert(s).first->c_str();  // node-based: pointers stay valid
}

}  // namespace npumock
