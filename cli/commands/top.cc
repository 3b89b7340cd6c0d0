// npuprobe top: a live per-device view of a store folder in the terminal. Every interval it reads
// the folder again and prints the rates and means since the previous read (top_table.h); the
// screen is cleared only when stdout is a terminal, so a pipe or a log gets one table after
// another. Ctrl-C ends it by the default action (nothing to clean up; a calling script sees the
// signal).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "../command.h"
#include "../options.h"
#include "../top_table.h"

namespace npuprobe::cli {
namespace {

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

top::Snapshot read_folder(const std::string &dir, int *errors) {
  const store::FolderContents contents = store::collect_folder(dir, base::FormatPreference::kAuto);
  *errors = static_cast<int>(contents.errors.size());
  return top::snapshot_of(contents.families, monotonic_seconds());
}

void sleep_for(double seconds) {
  const double until = monotonic_seconds() + seconds;
  for (;;) {
    const double left = until - monotonic_seconds();
    if (left <= 0) return;
    timespec span{static_cast<time_t>(left),
                  static_cast<long>((left - static_cast<long>(left)) * 1e9)};
    nanosleep(&span, nullptr);
  }
}

void print_table(const std::string &dir, const top::Snapshot &before, const top::Snapshot &after,
                 int errors, bool clear) {
  std::string text = clear ? "\033[H\033[2J" : "";
  const std::time_t now = std::time(nullptr);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
  char title[512];
  std::snprintf(title, sizeof title,
                "npuprobe top  %s  %s  last %.2f s  (forward, kernel_launch, non_forward, "
                "launch_api/step: means in ms)%s\n",
                clock, dir.c_str(), after.time_s - before.time_s,
                errors > 0 ? "  [some files skipped: npuprobe dump names them]" : "");
  text += title;
  const std::vector<top::Row> rows = top::rows_between(before, after);
  text += rows.empty() ? "no per-device npuprobe metrics in this folder yet\n"
                       : top::format_table(rows);
  if (!clear) text += "\n";  // a blank line between successive tables in a log
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int run_top(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--interval", "--iterations"}, {"--once"});
  if (!options.ok()) return usage_error("top", options.error());
  const std::string interval_text = options.value("--interval").value_or("1");
  char *end = nullptr;
  const double interval = std::strtod(interval_text.c_str(), &end);
  if (end == interval_text.c_str() || *end != '\0' || !(interval >= 0.05 && interval <= 3600))
    return usage_error("top", "--interval must be a number of seconds in 0.05..3600");
  long iterations = options.flag("--once") ? 1 : 0;  // 0 = until interrupted
  if (auto text = options.value("--iterations")) {
    iterations = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || iterations < 1)
      return usage_error("top", "--iterations must be a positive number");
  }
  const auto dir = store_directory(options);
  if (!dir) return 2;
  struct stat folder {};
  if (stat(dir->c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode)) {
    std::fprintf(stderr, "npuprobe top: %s: not a folder\n", dir->c_str());
    return 1;
  }

  const bool clear = isatty(STDOUT_FILENO) == 1;
  int errors = 0;
  top::Snapshot before = read_folder(*dir, &errors);
  for (long shown = 0; iterations == 0 || shown < iterations; ++shown) {
    sleep_for(interval);
    top::Snapshot after = read_folder(*dir, &errors);
    print_table(*dir, before, after, errors, clear);
    before = std::move(after);
  }
  return 0;
}

}  // namespace

NPUPROBE_COMMAND(top, "top", "top [--dir D] [--interval S] [--once|--iterations N]",
                 "live per-device view of a store folder (rates, step phases, memory)", &run_top);

}  // namespace npuprobe::cli
