// A file read again by a steady scrape (steady_collection.cc): the recording knows how many
// bytes read_db_file_bytes took from it, so a file still of that shape is read in one pread
// into a buffer kept from scrape to scrape (no zero-fill, no second read of its start).
//
// A long-running server may also keep the files open between scrapes (`max_held`, 0: never):
// a scrape then makes two calls per file (fstat, pread) instead of four (open, fstat, pread,
// close), and opening, the costliest, walks no path. A kept descriptor is used only while the
// folder's listing still names its inode under that name and the inode is still linked; a file
// replaced, renamed over or removed is opened again, with every check of a first open. Only
// `npuprobe serve` keeps files open: the exposer plugin runs inside the served process, whose
// descriptors (and whose forked children's) are not npuprobe's to spend.
//
// A kept file may also be mapped (mapped()): a steady scrape then loads each value where it
// lies, and neither copies the file nor compares its keys (steady_collection.cc says when keys
// are compared). A load past the end of a file shrunk meanwhile is caught (sigbus_guard.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace npuprobe::store {

class SteadyReread {
 public:
  explicit SteadyReread(std::size_t max_held = 0) : max_held_(max_held) {}
  ~SteadyReread();
  SteadyReread(const SteadyReread &) = delete;
  SteadyReread &operator=(const SteadyReread &) = delete;

  // The bytes read_db_file_bytes would give for `path` now, when they are as many as
  // `recorded` (the bytes of the recording's read) and begin with the same `used`; empty
  // otherwise (the file changed shape, or is gone, or is no regular file: a full read decides
  // what to say). Valid until the next call. `slot` numbers the file among those read (the
  // same file, the same slot, from scrape to scrape); `listed` is its inode number as the
  // folder's listing gave it now.
  std::string_view read(std::size_t slot, const std::string &path, ino_t listed,
                        std::string_view recorded);

  // The same file as read() would take it, mapped instead of read: the first recorded.size()
  // bytes of a kept file of that shape, valid until the next call for the slot. Null when
  // read() must be used (nothing is kept, the file changed shape, mapping failed). The bytes
  // are the file's own, so another process may change them, `used` included, or shrink the
  // file under them: read them with read_guarded() and compare `used` with the recording.
  const char *mapped(std::size_t slot, const std::string &path, ino_t listed,
                     std::string_view recorded);
  // Drops the slot's descriptor and mapping (a guarded read of it failed).
  void forget(std::size_t slot);

 private:
  struct Held {
    int fd = -1;
    ino_t inode = 0;
    const char *map = nullptr;  // the first map_length bytes of the file, or null
    std::size_t map_length = 0;
  };
  // A descriptor for `path`: the kept one while still valid, else a fresh open (kept when there
  // is room). -1 when it cannot be opened; `size` receives the file's size.
  int descriptor(std::size_t slot, const std::string &path, ino_t listed, std::size_t *size,
                 bool *kept);
  void forget(Held &held);
  // How many bytes read_db_file_bytes takes from a file of `size` bytes whose header says
  // `used`; 0 for a recording read() cannot stand for.
  static std::size_t expected_length(std::string_view recorded, std::size_t size);

  const std::size_t max_held_;
  std::vector<Held> held_;  // by slot
  std::size_t held_count_ = 0;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
};

}  // namespace npuprobe::store
