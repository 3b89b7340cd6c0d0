#include "npuprobe/config/process_identity.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "npuprobe/config/process_registry.h"

namespace npuprobe::config {
namespace {

bool all_digits(const std::string &s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string basename_of(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// argv runs a vLLM server: `vllm serve`, `python -m vllm.entrypoints.openai.api_server` (or
// .cli.main serve), or a script named api_server.py (vLLM's own file, and the harness's).
bool is_server_command(const std::vector<std::string> &argv, std::size_t *serve_at) {
  *serve_at = argv.size();
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string name = basename_of(argv[i]);
    if (name == "api_server.py" || argv[i].rfind("vllm.entrypoints.", 0) == 0) return true;
    if (argv[i] == "serve" && i > 0 &&
        (basename_of(argv[i - 1]) == "vllm" || argv[i - 1].rfind("vllm.entrypoints.", 0) == 0)) {
      *serve_at = i;
      return true;
    }
  }
  return false;
}

// The value of `--option X` or `--option=X`; none when absent.
std::optional<std::string> option_value(const std::vector<std::string> &argv,
                                        const std::string &option) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == option && i + 1 < argv.size()) return argv[i + 1];
    if (argv[i].rfind(option + "=", 0) == 0) return argv[i].substr(option.size() + 1);
  }
  return std::nullopt;
}

}  // namespace

std::vector<int> parse_visible_devices(const char *value) {
  std::vector<int> ids;
  if (value == nullptr) return ids;
  const std::string text = value;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string token =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!all_digits(token)) break;
    const int id = std::stoi(token);
    for (int earlier : ids) {
      if (earlier >= id) return {};  // descending or repeated: the runtime refuses the value
    }
    ids.push_back(id);
    if (comma == std::string::npos || ids.size() == 64) break;
    start = comma + 1;
  }
  return ids;
}

std::optional<std::string> dp_from_title(const std::string &title) {
  std::optional<std::string> found;
  for (std::size_t at = title.find("DP"); at != std::string::npos; at = title.find("DP", at + 2)) {
    std::size_t end = at + 2;
    while (end < title.size() && title[end] >= '0' && title[end] <= '9') ++end;
    if (end > at + 2) found = title.substr(at + 2, end - at - 2);
  }
  return found;
}

std::string model_from_command(const std::vector<std::string> &argv) {
  std::size_t serve_at = 0;
  if (!is_server_command(argv, &serve_at)) return {};
  if (auto served = option_value(argv, "--served-model-name")) return *served;
  if (auto model = option_value(argv, "--model")) return *model;
  if (serve_at + 1 < argv.size() && argv[serve_at + 1].rfind("-", 0) != 0) {
    return argv[serve_at + 1];
  }
  return {};
}

std::vector<std::string> process_argv(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

int parent_pid(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  int ppid = 0;
  char state = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return 0;
  return ppid;
}

std::string own_title() {
  std::ifstream comm("/proc/self/comm");
  std::string short_name;
  std::getline(comm, short_name);
  return short_name + " " + process_command(static_cast<int>(::getpid()));
}

std::string served_model_of_ancestors() {
  int pid = static_cast<int>(::getpid());
  for (int depth = 0; depth < 32 && pid > 1; ++depth) {
    const std::string model = model_from_command(process_argv(pid));
    if (!model.empty()) return model;
    pid = parent_pid(pid);
  }
  return {};
}

}  // namespace npuprobe::config
