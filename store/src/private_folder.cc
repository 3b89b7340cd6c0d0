#include "npuprobe/store/private_folder.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "npuprobe/base/private_dir.h"

namespace npuprobe::store {

std::string private_folder_path(const std::string &base) {
  return base + "/npuprobe-" + std::to_string(::getuid()) + "-" + std::to_string(::getsid(0));
}

bool prepare_private_folder(const std::string &path, std::string *error) {
  std::string why;
  if (base::make_private_dir(path, 0700, &why)) return true;
  if (error) *error = path + ": " + why;
  return false;
}

bool make_fresh_private_folder(const std::string &path, std::string *fresh, std::string *error) {
  // mkdtemp: a name nobody can guess beforehand, created 0700 by mkdir (never an existing one).
  std::string pattern = path + ".XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    if (error) *error = pattern + ": " + std::strerror(errno);
    return false;
  }
  *fresh = name.data();
  return true;
}

}  // namespace npuprobe::store
