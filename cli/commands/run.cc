// npuprobe run [--config F] [--dir D] -- CMD ARGS...: start CMD with libnpuprobe.so FIRST in
// LD_PRELOAD (other preloads kept after it, in their order: libmspti must come after npuprobe,
// or the calls it interposes reach npuprobe only through its forwarding), the store folder
// created and exported as PROMETHEUS_MULTIPROC_DIR.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../command.h"
#include "../options.h"
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

int run_run(const std::vector<std::string> &args) {
  std::vector<std::string> own;
  std::size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) own.push_back(args[i]);
  if (i + 1 >= args.size()) return usage_error("run", "missing -- CMD [ARGS...]");
  const Options options(own, {"--config", "--dir"});
  if (!options.ok()) return usage_error("run", options.error());
  if (auto dir = options.value("--dir")) {
    std::string why;
    if (!make_folder(*dir, &why)) {
      std::fprintf(stderr, "npuprobe run: store folder %s refused: %s\n", dir->c_str(),
                   why.c_str());
      return 1;
    }
    setenv("PROMETHEUS_MULTIPROC_DIR", dir->c_str(), 1);
  }
  if (auto config = options.value("--config")) setenv("NPUPROBE_CONFIG", config->c_str(), 1);
  const std::string preload = own_preload_path();
  if (access(preload.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "npuprobe run: %s not found\n", preload.c_str());
    return 1;
  }
  setenv("LD_PRELOAD", ordered_preload(preload, std::getenv("LD_PRELOAD")).c_str(), 1);
  std::vector<char *> argv;
  for (std::size_t k = i + 1; k < args.size(); ++k) argv.push_back(const_cast<char *>(args[k].c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "npuprobe run: cannot run %s: %s\n", argv[0], std::strerror(errno));
  return 127;
}

}  // namespace

NPUPROBE_COMMAND(run, "run", "run [--config F] [--dir D] -- CMD [ARGS...]",
                 "start CMD with npuprobe first in LD_PRELOAD and the store folder ready",
                 &run_run);

}  // namespace npuprobe::cli
