#include "options.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "command.h"

namespace npuprobe::cli {

Options::Options(const std::vector<std::string> &args, const std::set<std::string> &valued,
                 const std::set<std::string> &flags) {
  for (std::size_t i = 0; i < args.size() && error_.empty(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (name.rfind("--", 0) != 0) {
      error_ = "unexpected argument '" + name + "'";
      break;
    }
    if (const std::size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (valued.count(name)) {
      if (inline_value) {
        values_[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        values_[name] = args[++i];
      } else {
        error_ = name + " needs a value";
      }
    } else if (flags.count(name) && !inline_value) {
      flags_.insert(name);
    } else {
      error_ = "unknown option '" + name + "'";
    }
  }
}

std::optional<std::string> Options::value(const std::string &name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::string own_preload_path() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "libnpuprobe.so";
  self[n] = '\0';
  std::string dir(self);
  dir = dir.substr(0, dir.rfind('/'));
  const std::string prefix = dir.substr(0, dir.rfind('/'));
  // Installed (cmake --install, the packages): <prefix>/bin/npuprobe and
  // <prefix>/lib/npuprobe/libnpuprobe.so. A build folder: build/bin and build/lib.
  const std::string installed = prefix + "/lib/npuprobe/libnpuprobe.so";
  if (access(installed.c_str(), F_OK) == 0) return installed;
  return prefix + "/lib/libnpuprobe.so";
}

std::vector<std::string> preload_entries(const char *value) {
  std::string list = value != nullptr ? value : "";
  for (char &c : list) {
    if (c == ':') c = ' ';
  }
  std::vector<std::string> entries;
  std::istringstream words(list);
  for (std::string entry; words >> entry;) entries.push_back(entry);
  return entries;
}

std::optional<std::string> store_directory(const Options &options) {
  if (auto dir = options.value("--dir")) return dir;
  if (const char *env = std::getenv("PROMETHEUS_MULTIPROC_DIR"); env && *env)
    return std::string(env);
  std::fprintf(stderr, "npuprobe: no store folder: give --dir D or set PROMETHEUS_MULTIPROC_DIR\n");
  return std::nullopt;
}

int usage_error(const char *command, const std::string &message) {
  std::fprintf(stderr, "npuprobe %s: %s\n", command, message.c_str());
  for (const Command &c : all_commands()) {
    if (std::string(c.name) == command) std::fprintf(stderr, "usage: npuprobe %s\n", c.usage);
  }
  return 2;
}

}  // namespace npuprobe::cli
