#include "steady_reread.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_reader.h"
#include "sigbus_guard.h"

namespace npuprobe::store {

SteadyReread::~SteadyReread() {
  for (Held &held : held_) forget(held);
}

void SteadyReread::forget(Held &held) {
  if (held.map != nullptr) ::munmap(const_cast<char *>(held.map), held.map_length);
  held.map = nullptr;
  held.map_length = 0;
  if (held.fd < 0) return;
  ::close(held.fd);
  held.fd = -1;
  --held_count_;
}

void SteadyReread::forget(std::size_t slot) {
  if (slot < held_.size()) forget(held_[slot]);
}

std::size_t SteadyReread::expected_length(std::string_view recorded, std::size_t size) {
  // read_db_file_bytes reads the first 4 KiB, then up to `used`: its length follows from the
  // file's size and `used`. A recording that short is read the general way.
  constexpr std::size_t kFirstRead = 4096;
  if (recorded.size() < kDbHeaderSize) return 0;
  std::int32_t used = 0;
  std::memcpy(&used, recorded.data(), sizeof used);
  const std::size_t wanted = used > 0 ? std::min(static_cast<std::size_t>(used), size) : 0;
  return std::max(std::min(size, kFirstRead), wanted);
}

int SteadyReread::descriptor(std::size_t slot, const std::string &path, ino_t listed,
                             std::size_t *size, bool *kept) {
  struct stat info {};
  if (slot < held_.size() && held_[slot].fd >= 0) {
    Held &held = held_[slot];
    // Still the file the name lists (not replaced or renamed over: another inode), and still
    // linked (not removed). A regular file stays one; its size may have grown past the limit.
    if (held.inode == listed && ::fstat(held.fd, &info) == 0 && info.st_nlink > 0 &&
        static_cast<unsigned long long>(info.st_size) <= kMaxDbFileBytes) {
      *size = static_cast<std::size_t>(info.st_size);
      *kept = true;
      return held.fd;
    }
    forget(held);
  }
  // The same checks as read_db_file_bytes: never blocks, a regular file, at most the limit.
  const int fd = base::open_regular_for_read(path, kMaxDbFileBytes, nullptr, &info,
                                             base::Links::kFollow, base::Blocking::kLeave);
  if (fd < 0) return -1;
  *size = static_cast<std::size_t>(info.st_size);
  *kept = held_count_ < max_held_;
  if (*kept) {
    if (held_.size() <= slot) held_.resize(slot + 1);
    held_[slot] = Held{fd, info.st_ino};
    ++held_count_;
  }
  return fd;
}

std::string_view SteadyReread::read(std::size_t slot, const std::string &path, ino_t listed,
                                    std::string_view recorded) {
  if (recorded.size() < kDbHeaderSize) return {};
  std::size_t size = 0;
  bool kept = false;
  const int fd = descriptor(slot, path, listed, &size, &kept);
  if (fd < 0) return {};
  const std::size_t expected = expected_length(recorded, size);
  std::size_t done = 0;
  if (expected == recorded.size()) {
    if (capacity_ < expected) {
      buffer_.reset(new char[expected]);  // not zero-filled: every byte is read over
      capacity_ = expected;
    }
    const ssize_t n = base::pread_up_to(fd, 0, buffer_.get(), expected);
    done = n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  if (!kept) ::close(fd);
  // Whole, and the same `used` (a file that grew entries since is read in full again).
  if (done != recorded.size() || std::memcmp(buffer_.get(), recorded.data(), 4) != 0) return {};
  return std::string_view(buffer_.get(), done);
}

const char *SteadyReread::mapped(std::size_t slot, const std::string &path, ino_t listed,
                                 std::string_view recorded) {
  if (max_held_ == 0 || recorded.size() < kDbHeaderSize || !sigbus_guard_ready()) {
    return nullptr;
  }
  // Not kept, and no room to keep it: read() opens it (once, not here and there).
  const bool held_now = slot < held_.size() && held_[slot].fd >= 0;
  if (!held_now && held_count_ >= max_held_) return nullptr;
  std::size_t size = 0;
  bool kept = false;
  const int fd = descriptor(slot, path, listed, &size, &kept);
  if (fd < 0) return nullptr;
  if (!kept) {  // cannot happen after the check above; read() would open it again
    ::close(fd);
    return nullptr;
  }
  Held &held = held_[slot];
  if (expected_length(recorded, size) != recorded.size()) return nullptr;
  if (held.map != nullptr && held.map_length != recorded.size()) {
    ::munmap(const_cast<char *>(held.map), held.map_length);
    held.map = nullptr;
  }
  if (held.map == nullptr) {
    void *map = ::mmap(nullptr, recorded.size(), PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return nullptr;
    held.map = static_cast<const char *>(map);
    held.map_length = recorded.size();
  }
  return held.map;
}

}  // namespace npuprobe::store
