// NPUPROBE_STORE_FORMAT=auto: follow the format of the files Python's prometheus_client has
// already written in the folder, because a reader of one format fails on the other.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

// True for the `.db` files prometheus_client writes itself, as opposed to npuprobe's own
// (`*-npu.db`) and temporary dot-files.
bool is_python_db_file_name(const std::string &file_name);

class PythonFormatWatcher {
 public:
  // Classifies the Python files of `directory` not classified yet (a file's format never
  // changes, so each is read once it has entries; only its first kDbDetectionPrefixBytes).
  // A file that cannot be read safely (not a regular file, over kMaxDbFileBytes) is named in
  // one line and skipped. Returns their common format, or nullopt when there are none with
  // entries, or when they disagree (logged once).
  std::optional<StoreFormat> scan(const std::string &directory);

 private:
  std::map<std::string, StoreFormat> known_;
  std::set<std::string> refused_;  // names whose refusal was logged, while they stay
  bool reported_mixed_ = false;
};

}  // namespace npuprobe::store
