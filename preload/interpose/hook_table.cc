// The table dlsym consults: every hook's name, exported wrapper, next definition and binder.
#include <cstring>

#include "hook.h"
#include "npuprobe/base/log.h"

namespace npuprobe::preload {

#define NPUPROBE_DECLARE_ENTRY(name) extern const HookEntry entry_##name;
NPUPROBE_ACL_HOOKS(NPUPROBE_DECLARE_ENTRY)
#undef NPUPROBE_DECLARE_ENTRY

namespace {

// Address constants only: constant-initialised, usable from another library's constructor.
const HookEntry *const kEntries[kHookCount] = {
#define NPUPROBE_ENTRY_ADDRESS(name) &entry_##name,
    NPUPROBE_ACL_HOOKS(NPUPROBE_ENTRY_ADDRESS)
#undef NPUPROBE_ENTRY_ADDRESS
};

std::atomic<bool> g_missing_logged[kHookCount];

}  // namespace

const HookEntry &hook_entry(HookId id) noexcept {
  return *kEntries[static_cast<int>(id)];
}

const char *hook_name(HookId id) noexcept {
  return kEntries[static_cast<int>(id)]->name;
}

const HookEntry *find_hook(const char *name) noexcept {
  if (name == nullptr || !(std::strncmp(name, "acl", 3) == 0 || std::strncmp(name, "rt", 2) == 0 ||
                           std::strncmp(name, "Hccl", 4) == 0)) {
    return nullptr;
  }
  for (const HookEntry *entry : kEntries) {
    if (std::strcmp(entry->name, name) == 0) return entry;
  }
  return nullptr;
}

void note_missing_function(HookId id) noexcept {
  if (g_missing_logged[static_cast<int>(id)].exchange(true)) return;
  // A warning, not an error: the usual cause is an older CANN without an optional entry point,
  // and the caller gets exactly what such a runtime answers.
  base::log_message(base::LogLevel::kWarn,
                     "%s: no definition after npuprobe (an older CANN, or the runtime not "
                     "loaded); the caller gets ACL_ERROR_API_NOT_SUPPORT",
                     hook_name(id));
}

}  // namespace npuprobe::preload
