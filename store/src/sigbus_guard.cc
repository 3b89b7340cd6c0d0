#include "sigbus_guard.h"

#include <signal.h>

namespace npuprobe::store {
namespace sigbus_detail {

thread_local std::atomic<sigjmp_buf *> t_active{nullptr};

namespace {

struct sigaction g_previous {};

void on_sigbus(int signal, siginfo_t *info, void *context) {
  if (sigjmp_buf *active = t_active.load(std::memory_order_relaxed); active != nullptr) {
    t_active.store(nullptr, std::memory_order_relaxed);
    // SA_NODEFER keeps SIGBUS unblocked in the handler, but a sanitizer's own handler, which
    // calls this one, may run with it blocked; sigsetjmp saved no mask (no system call per
    // read), so unblock it here, on this rare path: blocked, the next fault would kill.
    sigset_t bus;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &bus, nullptr);
    siglongjmp(*active, 1);
  }
  // Not ours: hand the signal to whoever had it. The default (and SIG_IGN, which cannot stop a
  // fault) is put back, and the faulting load runs again under it.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signal, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
      g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(signal);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);
}

}  // namespace

bool install_handler() noexcept {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  return ::sigaction(SIGBUS, &action, &g_previous) == 0;
}

}  // namespace sigbus_detail
}  // namespace npuprobe::store
