// npuprobe gc: remove live gauge files and half-made temporary files of processes that no
// longer exist (their counters and histograms stay: they are cumulative).
#include <cstdio>

#include "../command.h"
#include "../options.h"
#include "npuprobe/store/live_files.h"

namespace npuprobe::cli {
namespace {

int run_gc(const std::vector<std::string> &args) {
  const Options options(args, {"--dir"}, {"--dry-run"});
  if (!options.ok()) return usage_error("gc", options.error());
  const auto dir = store_directory(options);
  if (!dir) return 2;
  const bool dry_run = options.flag("--dry-run");
  const store::GarbageReport report = store::collect_garbage(*dir, dry_run);
  for (const std::string &path : report.removed) {
    std::printf("%s %s\n", dry_run ? "would remove" : "removed", path.c_str());
  }
  for (const std::string &error : report.errors)
    std::fprintf(stderr, "npuprobe gc: %s\n", error.c_str());
  return report.errors.empty() ? 0 : 1;
}

}  // namespace

NPUPROBE_COMMAND(gc, "gc", "gc [--dir D] [--dry-run]",
                 "remove live gauge files of processes that no longer exist", &run_gc);

}  // namespace npuprobe::cli
