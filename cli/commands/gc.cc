// npuprobe gc: remove live gauge files and half-made temporary files of processes that no
// longer exist (their counters and histograms stay: they are cumulative), and their
// npuprobe_sites_<pid>.json (attribution/sites_file.h), which are only a view of the process.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "../command.h"
#include "../json_out.h"
#include "../options.h"
#include "npuprobe/attribution/sites_file.h"
#include "npuprobe/store/live_files.h"

namespace npuprobe::cli {
namespace {

// The pid of a sites file or of its writer's temporary (".npuprobe_sites_<pid>.json.tmp<pid>",
// sites_file.cc: the writer's pid, the store's convention), or -1 for any other name.
pid_t pid_of_sites_file(const std::string &name) {
  long pid = 0;
  if (attribution::parse_sites_file_name(name, &pid)) return static_cast<pid_t>(pid);
  if (name.rfind(".npuprobe_sites_", 0) == 0 && name.find(".json.tmp") != std::string::npos)
    return store::pid_of_store_file(name);
  return -1;
}

// Same rules and report as store::collect_garbage, for the sites files.
void collect_sites_garbage(const std::string &directory, bool dry_run,
                           store::GarbageReport *report) {
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) return;  // collect_garbage has reported it
  std::vector<std::string> names;
  while (const dirent *item = ::readdir(dir.get())) names.emplace_back(item->d_name);
  for (const std::string &name : names) {
    const pid_t pid = pid_of_sites_file(name);
    if (pid <= 0 || store::is_process_alive(pid)) continue;
    const std::string path = directory + "/" + name;
    if (!dry_run && ::unlink(path.c_str()) != 0) {
      report->errors.push_back(path + ": " + std::strerror(errno));
      continue;
    }
    report->removed.push_back(path);
  }
}

int run_gc(const std::vector<std::string> &args) {
  const Options options(args, {"--dir"}, {"--dry-run", "--json"});
  if (!options.ok()) return usage_error("gc", options.error());
  const auto dir = store_directory(options);
  if (!dir) return 2;
  const bool dry_run = options.flag("--dry-run");
  store::GarbageReport report = store::collect_garbage(*dir, dry_run);
  collect_sites_garbage(*dir, dry_run, &report);
  if (options.flag("--json")) {
    // {"folder", "dry_run", "removed": [paths (or would be)], "errors": [texts]}
    std::printf("%s\n", JsonObject()
                            .text("folder", *dir)
                            .boolean("dry_run", dry_run)
                            .texts("removed", report.removed)
                            .texts("errors", report.errors)
                            .str()
                            .c_str());
    return report.errors.empty() ? 0 : 1;
  }
  for (const std::string &path : report.removed) {
    std::printf("%s %s\n", dry_run ? "would remove" : "removed", path.c_str());
  }
  for (const std::string &error : report.errors)
    std::fprintf(stderr, "npuprobe gc: %s\n", error.c_str());
  return report.errors.empty() ? 0 : 1;
}

}  // namespace

NPUPROBE_COMMAND(gc, "gc", "gc [--dir D] [--dry-run] [--json]",
                 "remove live gauge and sites files of processes that no longer exist", &run_gc);

}  // namespace npuprobe::cli
