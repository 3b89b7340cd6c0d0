// npuprobe top: a live per-device view of a store folder in the terminal. Every interval it reads
// the folder again and prints the rates and means since the previous read (top_table.h); the
// screen is cleared only when stdout is a terminal, so a pipe or a log gets one table after
// another. On a terminal each line is cut to the terminal's width (no wrapped table) and `q`
// quits (the keyboard is read without echo while top runs, and given back as it was); Ctrl-C
// ends it by the default action. `--once --json` prints the rows as one JSON object.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "../command.h"
#include "../json_out.h"
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

// The keyboard, when stdin is a terminal: one key at a time, no echo, restored at exit (also
// after Ctrl-C, whose default action ends the process: the handler restores, then re-raises).
struct termios g_saved_terminal;
bool g_terminal_changed = false;

void restore_terminal() {
  if (g_terminal_changed) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);
}

void restore_and_reraise(int sig) {
  restore_terminal();
  signal(sig, SIG_DFL);
  raise(sig);
}

void read_keys_without_echo() {
  if (isatty(STDIN_FILENO) != 1 || tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) return;
  struct termios raw = g_saved_terminal;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) return;
  g_terminal_changed = true;
  std::atexit(&restore_terminal);
  signal(SIGINT, &restore_and_reraise);
  signal(SIGTERM, &restore_and_reraise);
}

// Waits `seconds`; false when `q` was pressed meanwhile.
bool wait_or_quit(double seconds) {
  const double until = monotonic_seconds() + seconds;
  for (;;) {
    const double left = until - monotonic_seconds();
    if (left <= 0) return true;
    pollfd keyboard{STDIN_FILENO, POLLIN, 0};
    const int ready = poll(&keyboard, g_terminal_changed ? 1 : 0,
                           static_cast<int>(left * 1000) + 1);
    if (ready > 0) {
      char key = 0;
      const ssize_t got = read(STDIN_FILENO, &key, 1);
      if (got == 1 && (key == 'q' || key == 'Q')) return false;
      if (got <= 0) {  // the terminal is gone: stop reading it
        restore_terminal();
        g_terminal_changed = false;
      }
    }
  }
}

// The terminal's width in columns, or 0 (no limit) when stdout is not a terminal.
std::size_t terminal_width() {
  winsize size{};
  if (isatty(STDOUT_FILENO) != 1 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

// Each line cut to `width` columns (the table is ASCII but for the folder name, which is cut
// at a UTF-8 character boundary).
std::string fit_to_width(const std::string &text, std::size_t width) {
  if (width == 0) return text;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::size_t cut = std::min(end, start + width);
    while (cut > start && cut < end && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.append(text, start, cut - start);
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

std::string row_json(const top::Row &r) {
  return JsonObject()
      .text("dp", r.key.dp)
      .text("device", r.key.device)
      .real("steps_per_s", r.steps_per_s)
      .real("launches_per_s", r.launches_per_s)
      .real("forward_ms", r.forward_ms)
      .real("kernel_launch_ms", r.kernel_launch_ms)
      .real("non_forward_ms", r.non_forward_ms)
      .real("launch_api_ms_per_step", r.launch_api_ms_per_step)
      .real("host_wait_share", r.host_wait_share)
      .real("comm_share", r.comm_share)
      .real("allocated_bytes", r.allocated_bytes)
      .real("busy_percent", r.busy_percent)
      .str();
}

void print_table(const std::string &dir, const top::Snapshot &before, const top::Snapshot &after,
                 int errors, bool clear) {
  std::string text;
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
  // The escape that clears the screen takes no columns: added after the cut.
  text = (clear ? "\033[H\033[2J" : "") + fit_to_width(text, terminal_width());
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int run_top(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--interval", "--iterations"}, {"--once", "--json"});
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
  const bool json = options.flag("--json");
  if (json && iterations != 1) return usage_error("top", "--json goes with --once");
  const auto dir = store_directory(options);
  if (!dir) return 2;
  struct stat folder {};
  if (stat(dir->c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode)) {
    std::fprintf(stderr, "npuprobe top: %s: not a folder\n", dir->c_str());
    return 1;
  }

  const bool clear = isatty(STDOUT_FILENO) == 1 && !json;
  int errors = 0;
  top::Snapshot before = read_folder(*dir, &errors);
  if (json) {
    wait_or_quit(interval);
    const top::Snapshot after = read_folder(*dir, &errors);
    std::vector<std::string> rows;
    for (const top::Row &r : top::rows_between(before, after)) rows.push_back(row_json(r));
    std::printf("%s\n", JsonObject()
                            .text("folder", *dir)
                            .real("interval_s", after.time_s - before.time_s)
                            .number("skipped_files", errors)
                            .raw("rows", json_array(rows))
                            .str()
                            .c_str());
    return 0;
  }
  if (iterations != 1) read_keys_without_echo();
  for (long shown = 0; iterations == 0 || shown < iterations; ++shown) {
    if (!wait_or_quit(interval)) break;
    top::Snapshot after = read_folder(*dir, &errors);
    print_table(*dir, before, after, errors, clear);
    before = std::move(after);
  }
  restore_terminal();
  return 0;
}

}  // namespace

NPUPROBE_COMMAND(top, "top", "top [--dir D] [--interval S] [--once [--json]|--iterations N]",
                 "live per-device view of a store folder (rates, step phases, memory)", &run_top);

}  // namespace npuprobe::cli
