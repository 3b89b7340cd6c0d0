#include "npu_sim/rank_launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace npusim {

std::string encode_root(const HcclRootInfo &info) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof info.internal);
  for (char c : info.internal) {
    out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
    out += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

std::vector<pid_t> start_ranks(int argc, char **argv, uint32_t nranks, const std::string &root) {
  std::vector<pid_t> pids;
  for (uint32_t rank = 1; rank < nranks; ++rank) {
    // Everything the child needs is built before fork: it only calls execv.
    std::vector<std::string> args(argv, argv + argc);
    args.insert(args.end(), {"--hccl-rank", std::to_string(rank), "--hccl-root", root});
    std::vector<char *> cargs;
    for (std::string &a : args) cargs.push_back(&a[0]);
    cargs.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      execv("/proc/self/exe", cargs.data());
      _exit(127);
    }
    if (pid < 0) {
      perror("npu-sim: fork");
      break;
    }
    pids.push_back(pid);
  }
  return pids;
}

int wait_ranks(const std::vector<pid_t> &pids) {
  int worst = 0;
  for (pid_t pid : pids) {
    int status = 0;
    int code = 2;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) code = WEXITSTATUS(status);
    if (code > worst) worst = code;
  }
  return worst;
}

std::string rank_report_path(const std::string &report, uint32_t rank) {
  return rank == 0 || report.empty() ? report : report + ".rank" + std::to_string(rank);
}

}  // namespace npusim
