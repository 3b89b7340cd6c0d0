// Reading one `.db` file the way prometheus_client does (read(), trust `used`), but strictly:
// any inconsistency is reported with the file name and offset instead of yielding garbage.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

struct DbEntry {
  std::string key;  // raw JSON text, valid UTF-8
  double value = 0;
  double timestamp = 0;  // 0 in format v1
};

// Parses the used part of a file's bytes. On failure returns false with `error` saying what
// is wrong and where; `entries` then holds the entries before the problem.
bool parse_db_bytes(std::string_view bytes, StoreFormat format, std::vector<DbEntry> &entries,
                    std::string *error);

// Reads `path` (only up to `used`) into `bytes`. Errors name the file.
bool read_db_file_bytes(const std::string &path, std::string &bytes, std::string *error);

// Reads and parses; errors name the file.
bool read_db_file(const std::string &path, StoreFormat format, std::vector<DbEntry> &entries,
                  std::string *error);

enum class DetectedFormat { kEmpty, kV1, kV2, kUnknown };

// Which layout the bytes parse in, with every key a JSON array. kEmpty: no entries yet (any
// format); kUnknown: neither or both parse (corrupt, or an ambiguous edge case).
DetectedFormat detect_db_format(std::string_view bytes);

bool is_valid_utf8(std::string_view text);

}  // namespace npuprobe::store
