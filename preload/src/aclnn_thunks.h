// aclnn second stages found through dlsym (op-plugin looks every op up by name in libopapi).
// There are ~900 aclnn symbols and npuprobe cannot export them all, so a dlsym lookup of an
// aclnnXxx launch gets one of a fixed table of pre-built thunks that remembers the op's name
// and the exact function the lookup found. Bounded: when the table is full the lookup returns
// the real function, whose inner kernel launch is still counted as an aclnn launch (see
// op_libraries.h), just without the op's own timing.
#pragma once

#include <cstdint>

namespace npuprobe::preload {

inline constexpr int kAclnnThunks = 2048;

// True for the uniform second stage `aclnnStatus aclnnXxx(void *, uint64_t, aclOpExecutor *,
// aclrtStream)`: aclnn + capital letter, not a first stage (GetWorkspaceSize) and not one of the
// framework functions with other signatures (aclnnInit, aclnnSet..., ...).
bool is_aclnn_launch_name(const char *name) noexcept;

// The thunk for (name, target), or null when the table is full. Cold, lock-free.
void *bind_aclnn_thunk(const char *name, void *target) noexcept;

}  // namespace npuprobe::preload
