#include "steady_reread.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "npuprobe/base/checked_file.h"
#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_reader.h"

namespace npuprobe::store {

std::string_view SteadyReread::read(const std::string &path, std::string_view recorded) {
  // read_db_file_bytes reads the first 4 KiB, then up to `used`: its length follows from the
  // file's size and `used`. A recording that short is read the general way.
  constexpr std::size_t kFirstRead = 4096;
  if (recorded.size() < kDbHeaderSize) return {};
  std::int32_t used = 0;
  std::memcpy(&used, recorded.data(), sizeof used);
  // The same checks as read_db_file_bytes: never blocks, a regular file, at most the limit.
  struct stat info {};
  const int fd = base::open_regular_for_read(path, kMaxDbFileBytes, nullptr, &info,
                                               base::Links::kFollow, base::Blocking::kLeave);
  if (fd < 0) return {};
  const auto size = static_cast<std::size_t>(info.st_size);
  const std::size_t wanted = used > 0 ? std::min(static_cast<std::size_t>(used), size) : 0;
  const std::size_t expected = std::max(std::min(size, kFirstRead), wanted);
  std::size_t done = 0;
  if (expected == recorded.size()) {
    if (capacity_ < expected) {
      buffer_.reset(new char[expected]);  // not zero-filled: every byte is read over
      capacity_ = expected;
    }
    const ssize_t n = base::pread_up_to(fd, 0, buffer_.get(), expected);
    done = n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  ::close(fd);
  // Whole, and the same `used` (a file that grew entries since is read in full again).
  if (done != recorded.size() || std::memcmp(buffer_.get(), recorded.data(), 4) != 0) return {};
  return std::string_view(buffer_.get(), done);
}

}  // namespace npuprobe::store
