// Reading a whole multiprocess folder with the semantics of prometheus_client's
// MultiProcessCollector: counters, histogram buckets and sums summed over all files (dead
// processes included), gauges combined by their file's mode, `pid` label from the file name,
// cumulative buckets and `_count` computed. Unlike Python, a corrupt file does not fail the
// whole read: it is skipped and named in `errors`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npuprobe/store/json_key.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

struct Sample {
  std::string name;
  LabelPairs labels;  // sorted by name
  double value = 0;
};

struct CollectedFamily {
  std::string name;  // as stored: counters without "_total"
  std::string help;
  std::string type;  // "counter", "gauge", "histogram" or "summary"
  std::vector<Sample> samples;
};

struct FolderContents {
  std::vector<CollectedFamily> families;
  std::vector<std::string> errors;  // one per rejected file or sample, naming the file
  // Read with FormatPreference::kAuto: file name -> the format found, for files with entries
  // (a folder of both formats breaks prometheus_client's collector: `npuprobe dump` says so).
  std::map<std::string, StoreFormat> detected;
};

// Every "*.db" file of `directory` (sorted by name), parsed in `format` (kAuto: per file).
FolderContents collect_folder(const std::string &directory, FormatPreference format);

// The same for an explicit list of files.
FolderContents collect_files(const std::vector<std::string> &paths, FormatPreference format);

}  // namespace npuprobe::store
