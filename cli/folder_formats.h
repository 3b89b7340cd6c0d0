// The formats of the prometheus_client files in a store folder, for `npuprobe check` and `dump`.
// A folder holding files of both formats (v1 of one run, v2 of another: a folder not wiped
// between runs) makes prometheus_client's collector raise, so vLLM's whole /metrics fails, while
// npuprobe reads both: the commands say so, naming the files, instead of hiding it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::cli {

struct FolderFormats {
  std::map<std::string, store::StoreFormat> formats;  // file name -> format (files with entries)
  std::vector<std::string> unknown;  // corrupt or unreadable (a FIFO, a file over the limit)
};

FolderFormats folder_formats(const std::string &dir);

// "" when the folder holds one format; else "3 v1 files (counter_1.db, gauge_all_1.db, ...) and
// 2 v2 files (counter_7.db, histogram_7.db)".
std::string mixed_formats(const FolderFormats &folder);

}  // namespace npuprobe::cli
