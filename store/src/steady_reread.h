// A file read again by a steady scrape (steady_collection.cc): the recording knows how many
// bytes read_db_file_bytes took from it, so a file still of that shape is read in one pread
// into a buffer kept from scrape to scrape (no zero-fill, no second read of its start).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace npuprobe::store {

class SteadyReread {
 public:
  // The bytes read_db_file_bytes would give for `path` now, when they are as many as
  // `recorded` (the bytes of the recording's read) and begin with the same `used`; empty
  // otherwise (the file changed shape, or is gone, or is no regular file: a full read decides
  // what to say). Valid until the next call.
  std::string_view read(const std::string &path, std::string_view recorded);

 private:
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
};

}  // namespace npuprobe::store
