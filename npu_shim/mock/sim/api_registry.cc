#include "sim/api_registry.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/fault_rules.h"

namespace npumock {
namespace {

struct ApiSlot {
  std::atomic<const char *> name{nullptr};
  std::atomic<uint64_t> calls{0};
  std::atomic<bool> has_rules{false};
};

struct Registry {
  ApiSlot slots[kMaxApis];
  std::atomic<int> count{0};
  std::mutex register_mu;
  std::vector<FaultRule> fails = parse_fault_rules(getenv("NPU_MOCK_FAIL"), "NPU_MOCK_FAIL");
  std::vector<FaultRule> hangs = parse_fault_rules(getenv("NPU_MOCK_HANG"), "NPU_MOCK_HANG");
};

Registry &registry() {
  static Registry *r = new Registry;  // leaked: used until the last thread is gone
  return *r;
}

}  // namespace

int api_id(const char *name) {
  Registry &r = registry();
  const int n = r.count.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    if (strcmp(r.slots[i].name.load(std::memory_order_relaxed), name) == 0) return i;
  }
  std::lock_guard<std::mutex> lock(r.register_mu);
  const int m = r.count.load(std::memory_order_relaxed);
  for (int i = n; i < m; ++i) {
    if (strcmp(r.slots[i].name.load(std::memory_order_relaxed), name) == 0) return i;
  }
  if (m >= kMaxApis) return -1;
  ApiSlot &slot = r.slots[m];
  slot.name.store(strdup(name), std::memory_order_relaxed);
  bool ruled = false;
  for (const auto &rule : r.fails) ruled |= rule.name == name;
  for (const auto &rule : r.hangs) ruled |= rule.name == name;
  slot.has_rules.store(ruled, std::memory_order_relaxed);
  r.count.store(m + 1, std::memory_order_release);
  return m;
}

const char *api_name(int id) {
  if (id < 0 || id >= api_count()) return "";
  return registry().slots[id].name.load(std::memory_order_relaxed);
}

int api_count() { return registry().count.load(std::memory_order_acquire); }

int api_enter(int id) {
  if (id < 0 || id >= kMaxApis) return 0;
  Registry &r = registry();
  ApiSlot &slot = r.slots[id];
  const uint64_t call_number = slot.calls.fetch_add(1, std::memory_order_relaxed) + 1;
  if (!slot.has_rules.load(std::memory_order_relaxed)) return 0;
  const char *name = slot.name.load(std::memory_order_relaxed);
  for (const auto &rule : r.hangs) {
    if (rule.name == name && rule.matches(call_number)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rule.value));
    }
  }
  for (const auto &rule : r.fails) {
    if (rule.name == name && rule.matches(call_number)) return int(rule.value);
  }
  return 0;
}

uint64_t api_calls(int id) {
  if (id < 0 || id >= api_count()) return 0;
  return registry().slots[id].calls.load(std::memory_order_relaxed);
}

}  // namespace npumock
