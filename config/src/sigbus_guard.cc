#include "sigbus_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace npuprobe::config {
namespace {

// The guarded pages, and whether one was replaced (set in the handler, read after `fn`).
std::uintptr_t g_first = 0, g_end = 0;
volatile sig_atomic_t g_replaced = 0;

void on_sigbus(int, siginfo_t *info, void *) {
  const auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (at >= g_first && at < g_end) {
    // mmap is a plain system call here; nothing in this process holds a lock on the range.
    void *page = reinterpret_cast<void *>(g_first);
    if (mmap(page, g_end - g_first, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      g_replaced = 1;
      return;  // the faulting access runs again, on the zero page
    }
  }
  // Not ours: the default action, as if no handler had been installed.
  signal(SIGBUS, SIG_DFL);
}

}  // namespace

bool run_surviving_truncation(void *mapping, std::size_t length, void (*fn)(void *), void *arg) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto at = reinterpret_cast<std::uintptr_t>(mapping);
  g_first = at & ~(page - 1);
  g_end = (at + length + page - 1) & ~(page - 1);
  g_replaced = 0;
  struct sigaction guard {}, previous {};
  guard.sa_sigaction = &on_sigbus;
  guard.sa_flags = SA_SIGINFO;
  sigemptyset(&guard.sa_mask);
  const bool guarded = sigaction(SIGBUS, &guard, &previous) == 0;
  fn(arg);
  if (guarded) sigaction(SIGBUS, &previous, nullptr);
  g_first = g_end = 0;
  return g_replaced == 0;
}

}  // namespace npuprobe::config
