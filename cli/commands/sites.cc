// npuprobe sites: which code made the host wait, from the npuprobe_sites_<pid>.json files the
// instrumented processes keep beside their store files (attribution/sites_file.h). A file that
// cannot be read is named on stderr and skipped; only a folder without any readable one fails.
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

#include "../command.h"
#include "../options.h"
#include "../sites_text.h"
#include "npuprobe/store/live_files.h"

namespace npuprobe::cli {
namespace {

bool parse_positive(const std::string &text, long *value) {
  char *end = nullptr;
  errno = 0;
  *value = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0' && errno == 0 && *value > 0;
}

// The pids of the folder's sites files, lowest first; false (message printed) when the folder
// cannot be listed.
bool list_sites_files(const std::string &dir, std::vector<long> *pids) {
  std::unique_ptr<DIR, int (*)(DIR *)> folder(::opendir(dir.c_str()), &::closedir);
  if (!folder) {
    std::fprintf(stderr, "npuprobe sites: %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  while (const dirent *item = ::readdir(folder.get())) {
    long pid = 0;
    if (attribution::parse_sites_file_name(item->d_name, &pid)) pids->push_back(pid);
  }
  std::sort(pids->begin(), pids->end());
  return true;
}

int run_sites(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--top", "--pid"}, {"--json"});
  if (!options.ok()) return usage_error("sites", options.error());
  long top = 10;
  if (auto text = options.value("--top"); text && !parse_positive(*text, &top))
    return usage_error("sites", "--top must be a positive number");
  long only_pid = 0;
  if (auto text = options.value("--pid"); text && !parse_positive(*text, &only_pid))
    return usage_error("sites", "--pid must be a process id");
  const auto dir = store_directory(options);
  if (!dir) return 2;

  std::vector<long> pids;
  if (!list_sites_files(*dir, &pids)) return 1;
  if (only_pid > 0) {
    pids.erase(std::remove_if(pids.begin(), pids.end(), [&](long pid) { return pid != only_pid; }),
               pids.end());
  }
  std::vector<sites::ProcessSites> processes;
  for (const long pid : pids) {
    sites::ProcessSites process;
    std::string error;
    if (!attribution::read_sites_file(*dir + "/" + attribution::sites_file_name(pid),
                                      &process.report, &error)) {
      std::fprintf(stderr, "npuprobe sites: skipped %s\n", error.c_str());
      continue;
    }
    process.alive = store::is_process_alive(static_cast<pid_t>(pid));
    processes.push_back(std::move(process));
  }
  if (processes.empty()) {
    const std::string which = only_pid > 0 ? attribution::sites_file_name(only_pid)
                                           : std::string("npuprobe_sites_<pid>.json");
    std::fprintf(stderr,
                 "npuprobe sites: no readable %s in %s (is attribution on in the processes "
                 "that publish there?)\n",
                 which.c_str(), dir->c_str());
    return 1;
  }
  const auto shown = static_cast<std::size_t>(top);
  const std::string text = options.flag("--json")
                               ? sites::format_json(processes, shown)
                               : sites::format_text(processes, shown, std::time(nullptr));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

NPUPROBE_COMMAND(sites, "sites", "sites [--dir D] [--top N] [--json] [--pid P]",
                 "where processes wait: blocking syncs and slow launches by call site", &run_sites);

}  // namespace npuprobe::cli
