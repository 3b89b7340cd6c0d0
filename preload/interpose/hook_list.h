// The preload's hook ids, one per entry of the public list (npuprobe/preload/hook_list.h).
#pragma once

#include <cstdint>

#include "npuprobe/preload/hook_list.h"

namespace npuprobe::preload {

enum class HookId : std::uint16_t {
#define NPUPROBE_HOOK_ENUM(name) name,
  NPUPROBE_ACL_HOOKS(NPUPROBE_HOOK_ENUM)
#undef NPUPROBE_HOOK_ENUM
      kCount
};
inline constexpr int kHookCount = static_cast<int>(HookId::kCount);

}  // namespace npuprobe::preload
