#include "aclnn_thunks.h"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "hook_groups.h"
#include "instrument.h"
#include "npu/aclnn_api.h"
#include "elf_symbols.h"
#include "npuprobe/base/log.h"

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

constexpr char kFirstStageSuffix[] = "GetWorkspaceSize";

bool ends_with(const char *s, const char *suffix) {
  const std::size_t n = std::strlen(s), m = std::strlen(suffix);
  return n >= m && std::strcmp(s + n - m, suffix) == 0;
}

}  // namespace

bool looks_like_aclnn_op_name(const char *name) noexcept {
  if (name == nullptr || std::strncmp(name, "aclnn", 5) != 0) return false;
  if (name[5] < 'A' || name[5] > 'Z') return false;
  return !ends_with(name, kFirstStageSuffix);
}

bool is_aclnn_second_stage(const char *name, const void *target) noexcept {
  if (!looks_like_aclnn_op_name(name)) return false;
  char twin[256];
  const std::size_t n = std::strlen(name);
  if (n + sizeof kFirstStageSuffix > sizeof twin) return false;  // no op has such a name
  std::memcpy(twin, name, n);
  std::memcpy(twin + n, kFirstStageSuffix, sizeof kFirstStageSuffix);
  Dl_info info;
  link_map *map = nullptr;
  if (dladdr1(target, &info, reinterpret_cast<void **>(&map), RTLD_DL_LINKMAP) == 0 ||
      map == nullptr) {
    return false;
  }
  // In the defining library's own symbol table, not its dependencies' (elf_symbols.h).
  return defined_in(map, twin) != nullptr;
}

namespace {

void *table_full(const char *name) noexcept {
  static std::atomic<bool> said{false};
  if (!said.exchange(true, std::memory_order_relaxed)) {  // once; dlsym is cold
    base::log_message(base::LogLevel::kWarn,
                       "all %d aclnn thunks are taken: %s and later ops are handed out "
                       "unwrapped; their launches count as api=\"aclnn\" through their inner "
                       "kernel launch, without op timing (with NPUPROBE_OP_LABEL=1 each is "
                       "counted in npuprobe:dropped{reason=\"op_unnamed\"})",
                       kAclnnThunks, name);
  }
  return nullptr;
}

}  // namespace

void *bind_aclnn_thunk(const char *name, void *target) noexcept {
  const auto wanted = reinterpret_cast<SecondStage>(target);
  const int used = std::min(g_used.load(std::memory_order_acquire), kAclnnThunks);
  for (int i = 0; i < used; ++i) {
    if (g_entries[i].ready.load(std::memory_order_acquire) &&
        g_entries[i].target.load(std::memory_order_relaxed) == wanted) {
      return reinterpret_cast<void *>(kThunks[static_cast<std::size_t>(i)]);
    }
  }
  // Checked before the increment too: op-plugin looks ops up at every call, and a counter
  // bumped by every lookup past the end would wrap after 2^31 of them.
  int slot = g_used.load(std::memory_order_acquire);
  if (slot < kAclnnThunks) slot = g_used.fetch_add(1, std::memory_order_acq_rel);
  if (slot >= kAclnnThunks) return table_full(name);
  ThunkEntry &e = g_entries[slot];
  std::strncpy(e.name, name, sizeof e.name - 1);
  e.name[sizeof e.name - 1] = '\0';
  e.target.store(wanted, std::memory_order_release);
  e.ready.store(true, std::memory_order_release);
  return reinterpret_cast<void *>(kThunks[static_cast<std::size_t>(slot)]);
}

}  // namespace npuprobe::preload
