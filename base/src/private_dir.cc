#include "npuprobe/base/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "npuprobe/base/checked_file.h"

namespace npuprobe::base {

bool is_private_dir(const std::string &path, std::string *why) {
  const auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  struct stat info {};
  // lstat: a link to a folder someone else controls must not redirect our files.
  if (::lstat(path.c_str(), &info) != 0) return fail(std::strerror(errno));
  if (!S_ISDIR(info.st_mode)) {
    return fail(std::string("is a ") + file_kind(info.st_mode) + ", not a directory");
  }
  if (info.st_uid != ::geteuid()) {
    return fail("belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
                std::to_string(::geteuid()) + ")");
  }
  if (info.st_mode & (S_IWGRP | S_IWOTH)) return fail("is writable by other users");
  return true;
}

bool make_private_dir(const std::string &path, mode_t mode, std::string *why) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    if (why) *why = std::strerror(errno);
    return false;
  }
  return is_private_dir(path, why);
}

}  // namespace npuprobe::base
