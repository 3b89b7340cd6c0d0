#include "segment_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "npuprobe/base/checked_file.h"

namespace npuprobe::config {

std::string shm_file_path(const std::string &name, const char *kind_prefix) {
  const std::string bare = !name.empty() && name[0] == '/' ? name.substr(1) : name;
  if (bare.empty() || bare.find('/') != std::string::npos) return {};
  return std::string("/dev/shm/") + kind_prefix + bare;
}

int open_segment_file(const std::string &path, int access, struct stat *info,
                      std::string *error) {
  error->clear();
  const int fd = ::open(path.c_str(), access | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      *error = path + ": " + (errno == ELOOP ? "is a symbolic link" : std::strerror(errno));
    }
    return -1;
  }
  std::string reason = base::why_not_regular(fd, info);
  if (reason.empty() && static_cast<unsigned long long>(info->st_size) > kMaxSegmentBytes) {
    reason = "is " + std::to_string(info->st_size) + " bytes, larger than any control segment (" +
             std::to_string(kMaxSegmentBytes) + ")";
  }
  if (!reason.empty()) {
    ::close(fd);
    *error = path + ": " + reason;
    return -1;
  }
  return fd;
}

bool write_u32(int fd, std::size_t offset, std::uint32_t value) {
  unsigned char bytes[4];
  std::memcpy(bytes, &value, sizeof bytes);  // little-endian hosts only (x86-64, aarch64)
  return base::write_all_at(fd, offset, bytes, sizeof bytes);
}

}  // namespace npuprobe::config
