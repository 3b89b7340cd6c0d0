// Prometheus text format 0.0.4 and OpenMetrics 1.0.0 text, written exactly as prometheus_client's
// generate_latest() of each writes them (same HELP/TYPE lines, label escaping, value formatting),
// so `npuprobe dump` of a folder can be diffed against vLLM's /metrics (docs/exposition.md).
#pragma once

#include <string>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

inline constexpr const char *kTextExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string format_text_exposition(const std::vector<CollectedFamily> &families);

// OpenMetrics: "# TYPE x counter" over "x_total" samples, HELP with '"' escaped, "# EOF" last.
std::string format_openmetrics_exposition(const std::vector<CollectedFamily> &families);

}  // namespace npuprobe::store
