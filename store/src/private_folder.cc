#include "npuprobe/store/private_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace npuprobe::store {

std::string private_folder_path(const std::string &base) {
  return base + "/npuprobe-" + std::to_string(::getuid()) + "-" + std::to_string(::getsid(0));
}

bool prepare_private_folder(const std::string &path, std::string *error) {
  const auto fail = [&](const std::string &why) {
    if (error) *error = path + ": " + why;
    return false;
  };
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return fail(std::strerror(errno));
  struct stat info {};
  // lstat: a symlink planted by someone else must not redirect our files.
  if (::lstat(path.c_str(), &info) != 0) return fail(std::strerror(errno));
  if (!S_ISDIR(info.st_mode)) return fail("exists and is not a directory");
  if (info.st_uid != ::getuid()) return fail("belongs to another user");
  if (info.st_mode & (S_IWGRP | S_IWOTH)) return fail("is writable by other users");
  return true;
}

}  // namespace npuprobe::store
