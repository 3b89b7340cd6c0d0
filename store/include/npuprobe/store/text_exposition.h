// Prometheus text format 0.0.4 and OpenMetrics 1.0.0 text, written exactly as prometheus_client's
// generate_latest() of each writes them (same HELP/TYPE lines, label escaping, value formatting),
// so `npuprobe dump` of a folder can be diffed against vLLM's /metrics (docs/exposition.md).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

inline constexpr const char *kTextExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string format_text_exposition(const std::vector<CollectedFamily> &families);

// OpenMetrics: "# TYPE x counter" over "x_total" samples, HELP with '"' escaped, "# EOF" last.
std::string format_openmetrics_exposition(const std::vector<CollectedFamily> &families);

// Receives an exposition in pieces, in order (each valid only during the call).
using ExpositionSink = std::function<void(std::string_view)>;

// collect_folder + format_text_exposition (or format_openmetrics_exposition) in one pass,
// without building a Sample per line (`npuprobe dump`): the same text, handed to `sink` in
// pieces of about 64 KiB as it is made; returns the same errors and formats.
struct FolderExposition {
  std::vector<std::string> errors;
  std::map<std::string, StoreFormat> detected;
};
FolderExposition write_folder_exposition(const std::string &directory, FormatPreference format,
                                         bool openmetrics, const ExpositionSink &sink);

}  // namespace npuprobe::store
