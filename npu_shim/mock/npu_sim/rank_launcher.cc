#include "npu_sim/rank_launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <climits>
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
  // The executable's path, read once: qemu user-mode emulation answers this readlink with the
  // emulated program, where an execv of "/proc/self/exe" could start qemu itself.
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("npu-sim: readlink /proc/self/exe");
    return pids;
  }
  self[n] = '\0';
  for (uint32_t rank = 1; rank < nranks; ++rank) {
    // Everything the child needs is built before fork: it only calls execv.
    std::vector<std::string> args(argv, argv + argc);
    args.insert(args.end(), {"--hccl-rank", std::to_string(rank), "--hccl-root", root});
    std::vector<char *> cargs;
    for (std::string &a : args) cargs.push_back(&a[0]);
    cargs.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      execv(self, cargs.data());
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
