// npuprobe run [--config F] [--dir D] [--fresh] [--keep] -- CMD ARGS...: start CMD with
// libnpuprobe.so FIRST in LD_PRELOAD (other preloads kept after it, in their order: libmspti must
// come after npuprobe, or the calls it interposes reach npuprobe only through its forwarding),
// the store folder ready and exported as PROMETHEUS_MULTIPROC_DIR (run_folder.h says which).
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../command.h"
#include "../options.h"
#include "../run_folder.h"
#include "npuprobe/base/private_dir.h"

namespace npuprobe::cli {
namespace {

// npuprobe first, then every other entry.
std::string ordered_preload(const std::string &npuprobe, const char *existing) {
  std::string result = npuprobe;
  for (const std::string &entry : preload_entries(existing)) {
    if (entry.find("libnpuprobe.so") != std::string::npos) continue;
    result += " " + entry;
  }
  return result;
}

// mkdir -p: missing parents 0755, the store folder itself private (0700). An existing store
// folder is used only when it is ours, not a link and not writable by others: the preloaded
// processes create their files there, and another user's folder would let that user swap them.
bool make_folder(const std::string &dir, std::string *why) {
  std::string partial;
  std::istringstream parts(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') partial = "/";
  std::vector<std::string> levels;
  while (std::getline(parts, part, '/')) {
    if (!part.empty()) levels.push_back(part);
  }
  for (std::size_t k = 0; k + 1 < levels.size(); ++k) {
    partial += levels[k] + "/";
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      *why = partial + ": " + std::strerror(errno);
      return false;
    }
  }
  if (levels.empty()) {
    *why = "not a folder npuprobe can make";
    return false;
  }
  return base::make_private_dir(partial + levels.back(), 0700, why);
}

// A folder the operator names (--dir, or PROMETHEUS_MULTIPROC_DIR): made when missing, refused
// when it is not private or holds files of earlier runs (unless --fresh). 0 when ready.
int prepare_named_folder(const std::string &dir, bool fresh) {
  std::string why;
  if (!make_folder(dir, &why)) {
    std::fprintf(stderr, "npuprobe run: store folder %s refused: %s\n", dir.c_str(), why.c_str());
    return 1;
  }
  const std::vector<std::string> earlier = earlier_run_files(dir);
  if (earlier.empty()) return 0;
  if (!fresh) {
    std::fprintf(stderr,
                 "npuprobe run: store folder %s holds %zu files of earlier runs (%s%s): their "
                 "counts would add to this run's and vLLM needs the folder wiped; --fresh "
                 "removes them\n",
                 dir.c_str(), earlier.size(), earlier.front().c_str(),
                 earlier.size() > 1 ? ", ..." : "");
    return 1;
  }
  if (!remove_earlier_run_files(dir, &why)) {
    std::fprintf(stderr, "npuprobe run: --fresh: %s\n", why.c_str());
    return 1;
  }
  return 0;
}

pid_t g_service = 0;

// The signals an operator or a supervisor sends the service reach it; run waits for its end.
void forward_signal(int sig) {
  if (g_service > 0) kill(g_service, sig);
}

// Runs the service as a child, so that the folder run made can be removed when it ends; exits
// as the service did (the same code, or the same signal).
int run_and_clean_up(char *const argv[], const std::string &folder, bool keep) {
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "npuprobe run: cannot start %s: %s\n", argv[0], std::strerror(errno));
    remove_run_folder(folder);
    return 1;
  }
  if (child == 0) {
    execvp(argv[0], argv);
    std::fprintf(stderr, "npuprobe run: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  g_service = child;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
    struct sigaction action {};
    action.sa_handler = &forward_signal;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, nullptr);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (keep) {
    std::fprintf(stderr, "npuprobe run: store folder %s kept (--keep)\n", folder.c_str());
  } else {
    remove_run_folder(folder);
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int run_run(const std::vector<std::string> &args) {
  std::vector<std::string> own;
  std::size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) own.push_back(args[i]);
  if (i + 1 >= args.size()) return usage_error("run", "missing -- CMD [ARGS...]");
  const Options options(own, {"--config", "--dir"}, {"--fresh", "--keep"});
  if (!options.ok()) return usage_error("run", options.error());
  std::optional<std::string> dir = options.value("--dir");
  if (dir && dir->empty()) {
    // `--dir "$PROMETHEUS_MULTIPROC_DIR"` with the variable unset: exporting "" would make
    // prometheus_client write into the working directory and vLLM's collector raise.
    return usage_error("run", "--dir is empty (an unset PROMETHEUS_MULTIPROC_DIR?); name a "
                              "folder, or leave --dir out for a fresh one");
  }
  if (!dir) {
    const char *inherited = std::getenv("PROMETHEUS_MULTIPROC_DIR");
    if (inherited != nullptr && inherited[0] != '\0') dir = inherited;
  }
  std::string made;  // the folder run makes itself, removed when the service exits
  if (dir) {
    if (const int refused = prepare_named_folder(*dir, options.flag("--fresh"))) return refused;
    setenv("PROMETHEUS_MULTIPROC_DIR", dir->c_str(), 1);
  } else {
    std::string why;
    made = make_fresh_run_folder(&why);
    if (made.empty()) {
      std::fprintf(stderr, "npuprobe run: no store folder: %s\n", why.c_str());
      return 1;
    }
    setenv("PROMETHEUS_MULTIPROC_DIR", made.c_str(), 1);
    std::fprintf(stderr, "npuprobe run: store folder %s (%s)\n", made.c_str(),
                 options.flag("--keep") ? "kept after the service exits"
                                        : "removed after the service exits; --keep keeps it");
  }
  if (auto config = options.value("--config")) setenv("NPUPROBE_CONFIG", config->c_str(), 1);
  const std::string preload = own_preload_path();
  if (access(preload.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "npuprobe run: %s not found\n", preload.c_str());
    if (!made.empty()) remove_run_folder(made);
    return 1;
  }
  setenv("LD_PRELOAD", ordered_preload(preload, std::getenv("LD_PRELOAD")).c_str(), 1);
  std::vector<char *> argv;
  for (std::size_t k = i + 1; k < args.size(); ++k) argv.push_back(const_cast<char *>(args[k].c_str()));
  argv.push_back(nullptr);
  if (!made.empty()) return run_and_clean_up(argv.data(), made, options.flag("--keep"));
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "npuprobe run: cannot run %s: %s\n", argv[0], std::strerror(errno));
  return 127;
}

}  // namespace

NPUPROBE_COMMAND(run, "run", "run [--config F] [--dir D [--fresh]] [--keep] -- CMD [ARGS...]",
                 "start CMD with npuprobe first in LD_PRELOAD and the store folder ready",
                 &run_run);

}  // namespace npuprobe::cli
