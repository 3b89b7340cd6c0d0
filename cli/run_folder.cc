#include "run_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace npuprobe::cli {
namespace {

bool ends_with(const std::string &text, const char *suffix) {
  const std::size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

// Every name in `dir` but "." and "..", or none when it cannot be read.
std::vector<std::string> names_in(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent *entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> earlier_run_files(const std::string &dir) {
  std::vector<std::string> files;
  for (const std::string &name : names_in(dir)) {
    if (ends_with(name, ".db") ||
        (name.rfind("npuprobe_sites_", 0) == 0 && ends_with(name, ".json"))) {
      files.push_back(name);
    }
  }
  return files;
}

bool remove_earlier_run_files(const std::string &dir, std::string *why) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    *why = dir + ": " + std::strerror(errno);
    return false;
  }
  for (const std::string &name : earlier_run_files(dir)) {
    // unlinkat removes a link itself, never what it points to.
    if (unlinkat(fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      *why = dir + "/" + name + ": " + std::strerror(errno);
      close(fd);
      return false;
    }
  }
  close(fd);
  return true;
}

std::string make_fresh_run_folder(std::string *why) {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp") +
                        "/npuprobe-run.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {  // mode 0700, a new name: nobody else's
    *why = pattern + ": " + std::strerror(errno);
    return {};
  }
  return pattern;
}

void remove_run_folder(const std::string &dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  for (const std::string &name : names_in(dir)) unlinkat(fd, name.c_str(), 0);
  close(fd);
  rmdir(dir.c_str());
}

}  // namespace npuprobe::cli
