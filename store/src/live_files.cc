#include "npuprobe/store/live_files.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace npuprobe::store {
namespace {

pid_t parse_pid(const std::string &digits) {
  if (digits.empty() || digits.size() > 9) return -1;
  pid_t pid = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    pid = pid * 10 + (c - '0');
  }
  return pid > 0 ? pid : -1;
}

}  // namespace

pid_t pid_of_store_file(const std::string &name) {
  if (!name.empty() && name[0] == '.') {
    const std::size_t tmp = name.rfind(".tmp");
    return tmp == std::string::npos ? -1 : parse_pid(name.substr(tmp + 4));
  }
  if (name.size() < 4 || name.compare(name.size() - 3, 3, ".db") != 0) return -1;
  std::string stem = name.substr(0, name.size() - 3);
  if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, "-npu") == 0)
    stem.resize(stem.size() - 4);
  const std::size_t underscore = stem.rfind('_');
  return underscore == std::string::npos ? -1 : parse_pid(stem.substr(underscore + 1));
}

bool is_live_gauge_file_name(const std::string &name) {
  return name.rfind("gauge_live", 0) == 0;
}

bool is_process_alive(pid_t pid) {
  // EPERM: it exists but belongs to someone else.
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

GarbageReport collect_garbage(const std::string &directory, bool dry_run) {
  GarbageReport report;
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) {
    report.errors.push_back(directory + ": " + std::strerror(errno));
    return report;
  }
  std::vector<std::string> names;
  while (const dirent *item = ::readdir(dir.get())) names.emplace_back(item->d_name);
  for (const std::string &name : names) {
    const bool temporary =
        !name.empty() && name[0] == '.' && name.find(".db.tmp") != std::string::npos;
    if (!temporary && !is_live_gauge_file_name(name)) continue;
    const pid_t pid = pid_of_store_file(name);
    if (pid <= 0 || is_process_alive(pid)) continue;
    const std::string path = directory + "/" + name;
    if (!dry_run && ::unlink(path.c_str()) != 0) {
      report.errors.push_back(path + ": " + std::strerror(errno));
      continue;
    }
    report.removed.push_back(path);
  }
  return report;
}

}  // namespace npuprobe::store
