#include "npuprobe/store/db_file_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/store/db_file_format.h"

namespace npuprobe::store {
namespace {

// Readers (ours included) refuse larger files; `used` is an int32, well above it.
constexpr std::uint32_t kMaxCapacity = kMaxDbFileBytes;

bool fail(std::string *error, const std::string &message) {
  if (error) *error = message;
  return false;
}

std::string errno_text(const char *what, const std::string &path, int code) {
  return std::string(what) + " " + path + ": " + std::strerror(code);
}

std::string temporary_path_for(const std::string &path) {
  // A dot-name not ending in ".db": prometheus_client's glob("*.db") never picks it up.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + ".tmp" + std::to_string(::getpid());
}

void publish_used(char *map, std::uint32_t used) {
  // Release: the entry bytes written before must be visible before the new `used`.
  __atomic_store_n(reinterpret_cast<std::int32_t *>(map), static_cast<std::int32_t>(used),
                   __ATOMIC_RELEASE);
}

void store_double(char *at, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  // One aligned 8-byte store: a concurrent read() sees the old or the new value, never a mix.
  __atomic_store_n(reinterpret_cast<std::uint64_t *>(at), bits, __ATOMIC_RELAXED);
}

}  // namespace

DbFileWriter::DbFileWriter(std::string path, StoreFormat format, int fd, char *map,
                           std::uint32_t capacity)
    : path_(std::move(path)),
      format_(format),
      fd_(fd),
      map_(map),
      capacity_(capacity),
      used_(kDbHeaderSize) {}

DbFileWriter::~DbFileWriter() {
  ::munmap(map_, capacity_);
  ::close(fd_);
}

std::unique_ptr<DbFileWriter> DbFileWriter::create(const std::string &path, StoreFormat format,
                                                   const std::vector<Entry> &entries,
                                                   std::vector<std::uint32_t> &value_offsets,
                                                   std::string *error) {
  std::uint64_t needed = kDbHeaderSize;
  for (const Entry &entry : entries) {
    needed += db_entry_size(static_cast<std::uint32_t>(entry.key.size()), format);
  }
  std::uint32_t capacity = kDbInitialCapacity;
  while (capacity < needed && capacity < kMaxCapacity) capacity *= 2;
  if (needed > capacity) return fail(error, path + ": too many entries for one file"), nullptr;

  const std::string temporary = temporary_path_for(path);
  ::unlink(temporary.c_str());  // a leftover of a killed process that had our pid
  // 0644 & ~umask: readable by every reader (vLLM's /metrics may run as another user), but
  // writable, and so truncatable, by our user only: another user's truncate() of a file we
  // have mapped would turn our next store into SIGBUS. (prometheus_client makes its own 0666.)
  // A new file only (O_EXCL, never through a link): whatever another user planted at the name
  // is refused, not written.
  std::string why;
  const int fd = base::create_new_file(temporary, O_RDWR, 0644, &why);
  if (fd < 0) return fail(error, "cannot create " + temporary + ": " + why), nullptr;
  const auto abandon = [&](const std::string &message) {
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(error, message);
    return nullptr;
  };
  if (const int rc = ::posix_fallocate(fd, 0, capacity); rc != 0) {
    return abandon(errno_text("cannot reserve space for", temporary, rc));
  }
  void *map = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return abandon(errno_text("cannot map", temporary, errno));

  std::unique_ptr<DbFileWriter> file(
      new DbFileWriter(path, format, fd, static_cast<char *>(map), capacity));
  publish_used(file->map_, kDbHeaderSize);
  value_offsets.clear();
  for (const Entry &entry : entries) {
    std::uint32_t offset = 0;
    file->write_entry(entry, &offset, error);  // cannot fail: capacity covers `needed`
    value_offsets.push_back(offset);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    return fail(error, errno_text("cannot move into place", path, code)), nullptr;
  }
  file->device_ = info.st_dev;
  file->inode_ = info.st_ino;
  return file;
}

bool DbFileWriter::grow_to_fit(std::uint32_t bytes, std::string *error) {
  if (used_ + static_cast<std::uint64_t>(bytes) <= capacity_) return true;
  std::uint64_t capacity = capacity_;
  while (used_ + static_cast<std::uint64_t>(bytes) > capacity) capacity *= 2;
  if (capacity > kMaxCapacity) {
    return fail(error, path_ + ": file would exceed the readers' limit of 256 MiB");
  }
  const auto new_capacity = static_cast<std::uint32_t>(capacity);
  // Extend first: readers trust `used`, so the zeros past it are invisible to them.
  if (const int rc = ::posix_fallocate(fd_, 0, new_capacity); rc != 0) {
    return fail(error, errno_text("cannot grow", path_, rc));
  }
  void *map = ::mremap(map_, capacity_, new_capacity, MREMAP_MAYMOVE);
  if (map == MAP_FAILED) return fail(error, errno_text("cannot remap", path_, errno));
  map_ = static_cast<char *>(map);
  capacity_ = new_capacity;
  return true;
}

bool DbFileWriter::write_entry(const Entry &entry, std::uint32_t *value_offset,
                               std::string *error) {
  const auto key_length = static_cast<std::uint32_t>(entry.key.size());
  const std::uint32_t size = db_entry_size(key_length, format_);
  if (!grow_to_fit(size, error)) return false;
  std::string bytes;
  append_db_entry(bytes, entry.key, entry.value, entry.timestamp, format_);
  std::memcpy(map_ + used_, bytes.data(), bytes.size());
  *value_offset = used_ + db_value_offset_in_entry(key_length);
  used_ += size;
  publish_used(map_, used_);
  return true;
}

bool DbFileWriter::append(const Entry &entry, std::uint32_t *value_offset, std::string *error) {
  return write_entry(entry, value_offset, error);
}

void DbFileWriter::store(std::uint32_t value_offset, double value, double timestamp) noexcept {
  store_double(map_ + value_offset, value);
  if (format_ == StoreFormat::kV2) store_double(map_ + value_offset + 8, timestamp);
}

bool DbFileWriter::is_still_in_place() const {
  struct stat by_path {};
  struct stat by_fd {};
  if (::stat(path_.c_str(), &by_path) != 0 || ::fstat(fd_, &by_fd) != 0) return false;
  // A shrunk file would turn our next store into a SIGBUS: treat it as replaced.
  return by_path.st_dev == device_ && by_path.st_ino == inode_ &&
         by_fd.st_size >= static_cast<off_t>(capacity_);
}

void DbFileWriter::remove() {
  struct stat by_path {};
  if (::stat(path_.c_str(), &by_path) == 0 && by_path.st_dev == device_ &&
      by_path.st_ino == inode_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace npuprobe::store
