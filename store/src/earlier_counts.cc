#include "earlier_counts.h"

#include <unistd.h>

#include <vector>

#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/base/log.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;

bool read_earlier_counts(const std::string &path, std::map<std::string, double> &counts) {
  if (::access(path.c_str(), F_OK) != 0) return false;
  std::string bytes;
  std::string error;
  if (!read_db_file_bytes(path, bytes, &error)) {
    log_message(LogLevel::kWarn, "replacing unreadable earlier file: %s", error.c_str());
    return false;
  }
  const DetectedFormat detected = detect_db_format(bytes);
  if (detected == DetectedFormat::kEmpty) return false;
  std::vector<DbEntry> entries;
  if (detected == DetectedFormat::kUnknown ||
      !parse_db_bytes(bytes, detected == DetectedFormat::kV1 ? StoreFormat::kV1 : StoreFormat::kV2,
                      entries, &error)) {
    log_message(LogLevel::kWarn, "replacing corrupt earlier file %s", path.c_str());
    return false;
  }
  for (const DbEntry &entry : entries) counts[entry.key] += entry.value;
  log_message(LogLevel::kInfo,
              "%s was left by an earlier process with this pid: continuing its %zu counts",
              path.c_str(), entries.size());
  return true;
}

}  // namespace npuprobe::store
