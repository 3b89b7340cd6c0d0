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

// True for a name that may be an operator's second stage: aclnn + capital letter, not a first
// stage (...GetWorkspaceSize). Only a candidate: libopapi also exports aclnn functions of other
// signatures (aclnnNpuFormatCastCalculateSizeAndFormat, aclnnReselectStaticKernel, ...).
bool looks_like_aclnn_op_name(const char *name) noexcept;

// True when `target` (what dlsym found for `name`) is a real second stage `aclnnStatus
// aclnnXxx(void *, uint64_t, aclOpExecutor *, aclrtStream)`: the library that defines it also
// defines `<name>GetWorkspaceSize`, the two-stage convention of every aclnn operator. Anything
// else is handed back untouched: a thunk of the wrong shape would drop or garble arguments.
// Cold (dladdr and a lookup); allocation-free.
bool is_aclnn_second_stage(const char *name, const void *target) noexcept;

// The thunk for (name, target), or null when the table is full. Cold, lock-free.
void *bind_aclnn_thunk(const char *name, void *target) noexcept;

}  // namespace npuprobe::preload
