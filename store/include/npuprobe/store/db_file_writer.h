// One `.db` file this process owns, kept mapped for in-place value updates.
//
// Crash safety (a process may be SIGKILLed at any instant and every reader must still parse
// what it left): the file is made complete under a temporary dot-name and renamed into place;
// an entry is written in full before `used` is advanced with a release store; values are single
// aligned 8-byte stores; growth only extends the file (zeros past `used`), so no reader ever
// sees a torn file. Space is reserved with posix_fallocate, so a full disk is an error code
// here, never a SIGBUS in the host process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

class DbFileWriter {
 public:
  struct Entry {
    std::string_view key;
    double value;
    double timestamp;  // ignored in v1
  };

  // Creates `path` atomically holding `entries`, replacing any file of that name. Fills
  // `value_offsets` (one per entry). Returns nullptr with `error` set on failure.
  static std::unique_ptr<DbFileWriter> create(const std::string &path, StoreFormat format,
                                              const std::vector<Entry> &entries,
                                              std::vector<std::uint32_t> &value_offsets,
                                              std::string *error);
  ~DbFileWriter();
  DbFileWriter(const DbFileWriter &) = delete;
  DbFileWriter &operator=(const DbFileWriter &) = delete;

  // Appends one entry, growing the file by doubling when needed.
  bool append(const Entry &entry, std::uint32_t *value_offset, std::string *error);
  // Updates a value in place (and its timestamp in v2).
  void store(std::uint32_t value_offset, double value, double timestamp) noexcept;

  // False when the file was removed, replaced or shrunk by someone else: make a new one.
  bool is_still_in_place() const;
  // Unlinks the file if the path still names it. The mapping stays valid until destruction.
  void remove();

  const std::string &path() const { return path_; }
  StoreFormat format() const { return format_; }
  std::uint32_t used() const { return used_; }

 private:
  DbFileWriter(std::string path, StoreFormat format, int fd, char *map, std::uint32_t capacity);
  bool write_entry(const Entry &entry, std::uint32_t *value_offset, std::string *error);
  bool grow_to_fit(std::uint32_t bytes, std::string *error);

  std::string path_;
  StoreFormat format_;
  int fd_;
  char *map_;
  std::uint32_t capacity_;
  std::uint32_t used_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace npuprobe::store
