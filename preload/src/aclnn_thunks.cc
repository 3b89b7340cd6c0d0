#include "aclnn_thunks.h"

#include <atomic>
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "hook_groups.h"
#include "instrument.h"
#include "npu/aclnn_api.h"

namespace npuprobe::preload {
namespace {

using SecondStage = aclnnStatus (*)(void *, uint64_t, aclOpExecutor *, aclrtStream);

struct ThunkEntry {
  std::atomic<SecondStage> target{nullptr};
  std::atomic<bool> ready{false};
  std::atomic<std::uint32_t> op_id{0};
  std::atomic<std::uint32_t> api_id{0};
  char name[96] = {};
};

ThunkEntry g_entries[kAclnnThunks];
std::atomic<int> g_used{0};

template <int I>
aclnnStatus thunk(void *workspace, uint64_t size, aclOpExecutor *executor, aclrtStream stream) {
  ThunkEntry &e = g_entries[I];
  SecondStage real = e.target.load(std::memory_order_acquire);
  if (__builtin_expect(!hook_on(kAclnnBit), 0)) return real(workspace, size, executor, stream);
  return measure_launch(
      LaunchKind{probes::LaunchApi::kAclnn, &e.op_id, &e.api_id, e.name}, stream,
      [&] { return real(workspace, size, executor, stream); });
}

template <std::size_t... I>
constexpr std::array<SecondStage, sizeof...(I)> make_thunks(std::index_sequence<I...>) {
  return {&thunk<static_cast<int>(I)>...};
}

constexpr std::array<SecondStage, kAclnnThunks> kThunks =
    make_thunks(std::make_index_sequence<kAclnnThunks>());

bool ends_with(const char *s, const char *suffix) {
  const std::size_t n = std::strlen(s), m = std::strlen(suffix);
  return n >= m && std::strcmp(s + n - m, suffix) == 0;
}

}  // namespace

bool is_aclnn_launch_name(const char *name) noexcept {
  if (name == nullptr || std::strncmp(name, "aclnn", 5) != 0) return false;
  if (name[5] < 'A' || name[5] > 'Z') return false;
  if (ends_with(name, "GetWorkspaceSize")) return false;
  static const char *const kFrameworkPrefixes[] = {"aclnnInit",    "aclnnFinalize", "aclnnSet",
                                                   "aclnnGet",     "aclnnCreate",   "aclnnDestroy",
                                                   "aclnnRelease", "aclnnReset"};
  for (const char *prefix : kFrameworkPrefixes) {
    if (std::strncmp(name, prefix, std::strlen(prefix)) == 0) return false;
  }
  return true;
}

void *bind_aclnn_thunk(const char *name, void *target) noexcept {
  const auto wanted = reinterpret_cast<SecondStage>(target);
  const int used = std::min(g_used.load(std::memory_order_acquire), kAclnnThunks);
  for (int i = 0; i < used; ++i) {
    if (g_entries[i].ready.load(std::memory_order_acquire) &&
        g_entries[i].target.load(std::memory_order_relaxed) == wanted) {
      return reinterpret_cast<void *>(kThunks[static_cast<std::size_t>(i)]);
    }
  }
  const int slot = g_used.fetch_add(1, std::memory_order_acq_rel);
  if (slot >= kAclnnThunks) return nullptr;
  ThunkEntry &e = g_entries[slot];
  std::strncpy(e.name, name, sizeof e.name - 1);
  e.name[sizeof e.name - 1] = '\0';
  e.target.store(wanted, std::memory_order_release);
  e.ready.store(true, std::memory_order_release);
  return reinterpret_cast<void *>(kThunks[static_cast<std::size_t>(slot)]);
}

}  // namespace npuprobe::preload
