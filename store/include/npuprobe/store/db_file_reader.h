// Reading one `.db` file the way prometheus_client does (read(), trust `used`), but strictly:
// any inconsistency is reported with the file name and offset instead of yielding garbage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

struct DbEntry {
  std::string key;  // raw JSON text, valid UTF-8
  double value = 0;
  double timestamp = 0;  // 0 in format v1
};

// The same entry, its key a view into the file's bytes (valid while they are): what a
// collection reads, copying nothing per entry.
struct DbEntryView {
  std::string_view key;
  double value = 0;
  double timestamp = 0;
  std::uint32_t start = 0;     // offset of the entry (its key length) in the file
  std::uint32_t value_at = 0;  // offset of its value; the timestamp follows in format v2
};

// Parses the used part of a file's bytes. On failure returns false with `error` saying what
// is wrong and where; `entries` then holds the entries before the problem.
bool parse_db_bytes(std::string_view bytes, StoreFormat format, std::vector<DbEntry> &entries,
                    std::string *error);

// The same, as views into `bytes` (`entries` is cleared first).
bool parse_db_views(std::string_view bytes, StoreFormat format, std::vector<DbEntryView> &entries,
                    std::string *error);

// Reads `path` (only up to `used`, never past the file's size, at most `at_most` bytes) into
// `bytes`. Only a regular file of at most kMaxDbFileBytes is read, opened without blocking: a
// FIFO, a device or a larger file is refused. Errors name the file and the reason.
bool read_db_file_bytes(const std::string &path, std::string &bytes, std::string *error,
                        std::size_t at_most = kMaxDbFileBytes);

// Reads and parses; errors name the file.
bool read_db_file(const std::string &path, StoreFormat format, std::vector<DbEntry> &entries,
                  std::string *error);

enum class DetectedFormat { kEmpty, kV1, kV2, kUnknown };

// Which layout the bytes parse in, with every key a JSON array. kEmpty: no entries yet (any
// format); kUnknown: neither or both parse (corrupt, or an ambiguous edge case).
DetectedFormat detect_db_format(std::string_view bytes);

// detect_db_format, and when it finds v1 or v2, the entries as parse_db_views gives them in that
// format (`entries` cleared first; unspecified otherwise). The file is walked once in its own
// format (a walk in the other one fails within an entry or two), not once to detect and once to
// parse.
DetectedFormat detect_and_parse_db_views(std::string_view bytes,
                                         std::vector<DbEntryView> &entries);

// The same for the first bytes of a file (read_db_file_bytes with kDbDetectionPrefixBytes),
// which may end before `used`: the whole entries it holds decide.
DetectedFormat detect_db_format_of_prefix(std::string_view prefix);

bool is_valid_utf8(std::string_view text);

}  // namespace npuprobe::store
