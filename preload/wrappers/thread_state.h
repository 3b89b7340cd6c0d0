// Per-thread state of the hot path. Tiny and initial-exec: a preloaded library's TLS comes out
// of the static TLS block, and global-dynamic access may call malloc (docs/interposition.md).
#pragma once

#include <cstdint>

namespace npuprobe::preload {

struct ThreadState {
  // The logical device this thread set with aclrtSetDevice (ACL's default is 0).
  std::int32_t device;
  // Intercepted calls active on this thread: a call made inside another one (aclnnX ->
  // aclrtLaunchKernelWithHostArgs, libmspti forwarding to libascendcl) is forwarded untouched.
  std::uint16_t depth;
  // Set while this thread runs npuprobe's own start-up, so that anything it calls is forwarded.
  std::uint16_t starting;
};

// __thread, not thread_local: a thread_local of another file may need dynamic initialisation
// as far as the compiler knows, so every access would first test for (and maybe call) its
// init function; __thread is constant-initialised by definition: a plain %fs load.
extern __thread ThreadState tls_thread_state __attribute__((tls_model("initial-exec")));

inline ThreadState &thread_state() noexcept {
  return tls_thread_state;
}

}  // namespace npuprobe::preload
