#include "npuprobe/store/format_detection.h"

#include <dirent.h>

#include <memory>
#include <set>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/base/log.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;
namespace {

bool ends_with(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool is_python_db_file_name(const std::string &file_name) {
  return !file_name.empty() && file_name[0] != '.' && ends_with(file_name, ".db") &&
         !ends_with(file_name, "-npu.db");
}

std::optional<StoreFormat> PythonFormatWatcher::scan(const std::string &directory) {
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) return std::nullopt;
  std::map<std::string, StoreFormat> present;
  std::set<std::string> present_refused;
  while (const dirent *item = ::readdir(dir.get())) {
    const std::string name = item->d_name;
    if (!is_python_db_file_name(name)) continue;
    if (auto found = known_.find(name); found != known_.end()) {
      present.emplace(name, found->second);
      continue;
    }
    // Only the first bytes: enough to tell the format, and cheap to read again at the next
    // flush while the file has no entries yet (its mtime cannot say: Python writes through
    // mmap, which on tmpfs does not touch it).
    std::string bytes;
    std::string problem;
    if (!read_db_file_bytes(directory + "/" + name, bytes, &problem, kDbDetectionPrefixBytes)) {
      // A FIFO, a device, a file over the limit: said once per name, then skipped.
      if (refused_.insert(name).second) {
        log_message(LogLevel::kWarn, "format detection skips %s", problem.c_str());
      }
      present_refused.insert(name);
      continue;
    }
    const DetectedFormat detected = detect_db_format_of_prefix(bytes);
    if (detected == DetectedFormat::kV1 || detected == DetectedFormat::kV2) {
      const StoreFormat format =
          detected == DetectedFormat::kV1 ? StoreFormat::kV1 : StoreFormat::kV2;
      known_.emplace(name, format);
      present.emplace(name, format);
    }
  }
  // Forget files that are gone (a dead pid's file may come back under the same name).
  for (auto it = known_.begin(); it != known_.end();) {
    it = present.count(it->first) ? std::next(it) : known_.erase(it);
  }
  refused_.swap(present_refused);
  if (present.empty()) return std::nullopt;
  const StoreFormat first = present.begin()->second;
  for (const auto &[name, format] : present) {
    if (format != first) {
      if (!reported_mixed_) {
        log_message(LogLevel::kWarn,
                    "store folder %s holds prometheus_client files of both formats (%s is %s, %s "
                    "is %s); keeping the current format",
                    directory.c_str(), present.begin()->first.c_str(),
                    std::string(to_string(first)).c_str(), name.c_str(),
                    std::string(to_string(format)).c_str());
        reported_mixed_ = true;
      }
      return std::nullopt;
    }
  }
  reported_mixed_ = false;
  return first;
}

}  // namespace npuprobe::store
