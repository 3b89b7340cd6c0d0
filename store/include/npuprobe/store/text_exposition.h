// Prometheus text format 0.0.4, written exactly as prometheus_client's generate_latest() does
// (same HELP/TYPE lines, label escaping, value formatting), so `npuprobe dump` of a folder can
// be diffed against vLLM's /metrics.
#pragma once

#include <string>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

inline constexpr const char *kTextExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string format_text_exposition(const std::vector<CollectedFamily> &families);

}  // namespace npuprobe::store
