// Reading a file through a mapping while another process may shrink it: a load past the file's
// new end raises SIGBUS, which would kill the reader. A read made through read_guarded() is
// abandoned instead (siglongjmp out of the handler) and reported as failed; the caller then
// reads the file the ordinary way (pread), which sees the new length.
//
// Only `npuprobe serve` maps files (steady_reread.h): the handler is process-wide, and the
// exposer plugin runs inside the served process, whose signal dispositions are not npuprobe's.
// A SIGBUS outside a guarded read goes to the disposition that was there before (the default:
// the process dies as it would have without npuprobe).
#pragma once

#include <setjmp.h>

#include <atomic>

namespace npuprobe::store {

namespace sigbus_detail {
// The guarded read in progress on this thread, or null. Atomic, with signal fences around the
// read: the compiler must neither drop the store (the read's loads do not use it) nor move the
// read's loads across it, since only the handler, on this same thread, looks at it.
extern thread_local std::atomic<sigjmp_buf *> t_active;
bool install_handler() noexcept;  // once per process; false when sigaction fails
}  // namespace sigbus_detail

// True once the handler is in place (installs it on the first call).
inline bool sigbus_guard_ready() noexcept {
  static const bool installed = sigbus_detail::install_handler();
  return installed;
}

// Runs `read` (bool(), no allocation, no lock: it may be abandoned half way) and returns what
// it returns, or false when it touched a mapped page past its file's end. Call only after
// sigbus_guard_ready() said true. Not reentrant.
template <typename Read>
bool read_guarded(Read &&read) noexcept {
  sigjmp_buf here;
  // savemask 0: no system call; the handler unblocks SIGBUS before it jumps back here.
  if (sigsetjmp(here, 0) != 0) {
    sigbus_detail::t_active.store(nullptr, std::memory_order_relaxed);
    return false;
  }
  sigbus_detail::t_active.store(&here, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const bool ok = read();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  sigbus_detail::t_active.store(nullptr, std::memory_order_relaxed);
  return ok;
}

}  // namespace npuprobe::store
