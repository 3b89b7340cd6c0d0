#include "npuprobe/base/checked_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace npuprobe::base {

namespace {

bool fail(std::string *why, std::string reason) {
  if (why) *why = std::move(reason);
  return false;
}

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// The descriptor was opened O_NONBLOCK so that a FIFO could not block open(); for a regular
// file the flag means nothing, but it is cleared so that callers see an ordinary descriptor.
void clear_nonblock(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

// Closes a descriptor that failed a check, says why, and answers -1.
int refuse(int fd, std::string *why, std::string reason) {
  ::close(fd);
  fail(why, std::move(reason));
  return -1;
}

}  // namespace

const char *file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "regular file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISLNK(mode)) return "symbolic link";
  return "special file";
}

std::string why_not_regular(int fd, struct stat *info) {
  if (::fstat(fd, info) != 0) return std::strerror(errno);
  if (!S_ISREG(info->st_mode)) {
    return std::string("is a ") + file_kind(info->st_mode) + ", not a regular file";
  }
  return {};
}

int open_regular_for_read(const std::string &path, std::size_t max_bytes, std::string *why,
                          struct stat *info, Links links, Blocking blocking) {
  int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  if (links == Links::kRefuse) flags |= O_NOFOLLOW;
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    fail(why, errno == ELOOP && links == Links::kRefuse ? "is a symbolic link"
                                                        : std::strerror(errno));
    return -1;
  }
  struct stat st {};
  std::string reason = why_not_regular(fd, &st);
  if (reason.empty() && static_cast<unsigned long long>(st.st_size) > max_bytes) {
    reason = "is " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
             size_text(max_bytes);
  }
  if (!reason.empty()) return refuse(fd, why, std::move(reason));
  if (blocking == Blocking::kRestore) clear_nonblock(fd);
  if (info) *info = st;
  return fd;
}

ssize_t pread_up_to(int fd, std::size_t offset, void *out, std::size_t length) {
  auto *bytes = static_cast<char *>(out);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, bytes + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;  // the end of the file
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool read_at_most(int fd, std::size_t offset, std::size_t length, std::string *out,
                  std::string *why) {
  out->clear();
  out->resize(length);
  const ssize_t n = pread_up_to(fd, offset, length == 0 ? nullptr : &(*out)[0], length);
  if (n < 0) {
    const int error = errno;
    out->clear();
    return fail(why, std::strerror(error));
  }
  out->resize(static_cast<std::size_t>(n));
  return true;
}

bool read_exact_at(int fd, std::size_t offset, void *out, std::size_t length) {
  return pread_up_to(fd, offset, out, length) == static_cast<ssize_t>(length);
}

bool write_all_at(int fd, std::size_t offset, const void *data, std::size_t length) {
  const auto *bytes = static_cast<const char *>(data);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pwrite(fd, bytes + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool read_regular_file(const std::string &path, std::size_t max_bytes, std::string *out,
                       std::string *why, Links links) {
  struct stat st {};
  const int fd = open_regular_for_read(path, max_bytes, why, &st, links);
  if (fd < 0) return false;
  // One byte past the limit tells a file that grew while it was read from one that fits.
  const bool ok = read_at_most(fd, 0, max_bytes + 1, out, why);
  ::close(fd);
  if (!ok) return false;
  if (out->size() > max_bytes) {
    out->clear();
    return fail(why, "grew past the limit of " + size_text(max_bytes) + " while being read");
  }
  return true;
}

int create_new_file(const std::string &path, int access, mode_t mode, std::string *why) {
  const int fd = ::open(path.c_str(), access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) fail(why, errno == EEXIST ? "already exists (refused: never reused or followed)"
                                        : std::strerror(errno));
  return fd;
}

bool replace_file(const std::string &path, std::string_view content, mode_t mode,
                  std::string *why) {
  return replace_file_using(path, path + ".tmp" + std::to_string(::getpid()), content, mode, why);
}

bool replace_file_using(const std::string &path, const std::string &temporary,
                        std::string_view content, mode_t mode, std::string *why) {
  // A temporary left by an earlier process with our pid, or planted: unlink removes the name
  // (a link itself, never its target).
  ::unlink(temporary.c_str());
  std::string reason;
  const int fd = create_new_file(temporary, O_WRONLY, mode, &reason);
  if (fd < 0) return fail(why, temporary + ": " + reason);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      reason = n < 0 ? std::strerror(errno) : "short write";
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && reason.empty()) reason = std::strerror(errno);
  if (reason.empty() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    reason = std::strerror(errno);
  }
  if (reason.empty()) return true;
  ::unlink(temporary.c_str());
  return fail(why, std::move(reason));
}

int open_for_append(const std::string &path, mode_t mode, std::string *why) {
  const int common = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  int fd = ::open(path.c_str(), common | O_CREAT | O_EXCL, mode);
  if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), common);
  if (fd < 0) {
    const int code = errno;
    struct stat st {};
    // ENXIO: a FIFO (or a socket) without a reader, refused by O_NONBLOCK; say what it is.
    if (code == ENXIO && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      fail(why, std::string("is a ") + file_kind(st.st_mode) + ", not a regular file");
    } else {
      fail(why, code == ELOOP ? "is a symbolic link" : std::strerror(code));
    }
    return -1;
  }
  struct stat st {};
  std::string reason = why_not_regular(fd, &st);
  if (reason.empty() && st.st_uid != ::geteuid()) {
    reason = "belongs to uid " + std::to_string(st.st_uid) + ", not to this user";
  }
  if (!reason.empty()) return refuse(fd, why, std::move(reason));
  clear_nonblock(fd);
  return fd;
}

}  // namespace npuprobe::base
