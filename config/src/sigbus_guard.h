// Survive a SIGBUS raised by memory someone else can truncate, where the access cannot be made
// with pread instead: glibc maps a POSIX semaphore's file (/dev/shm/sem.<name>, mode 0666 for
// ms_service_metric), and any local user can truncate it while `npuprobe on|off` waits on it.
//
// `fn(arg)` runs with a SIGBUS handler that, for a fault inside [mapping, mapping + length),
// puts a private zero page in place of the truncated one and lets the access go on: the call
// completes (on memory nobody shares any more) and the caller learns the mapping was lost. A
// jump out of the handler is no option: glibc's siglongjmp runs the semaphore's cancellation
// cleanup, which touches the lost page again. A fault elsewhere gets the default action. The
// previous disposition is restored afterwards. The handler is process-wide: single-threaded
// callers only (the CLI's switch commands).
#pragma once

#include <cstddef>

namespace npuprobe::config {

// false when the mapping was truncated under `fn` (its pages are private zeros from then on).
bool run_surviving_truncation(void *mapping, std::size_t length, void (*fn)(void *), void *arg);

}  // namespace npuprobe::config
