// Name rules of the Prometheus data model, as prometheus_client enforces them: one bad name in
// the store folder fails the whole scrape of vLLM's /metrics, so the registry refuses it up front,
// and the config loaders refuse it where the user wrote it (in base so config needs no store).
#pragma once

#include <string_view>

namespace npuprobe::base {

// ^[a-zA-Z_:][a-zA-Z0-9_:]*$
bool is_valid_metric_name(std::string_view name);

// ^[a-zA-Z_][a-zA-Z0-9_]*$ and not starting with "__" (reserved for Prometheus itself).
bool is_valid_label_name(std::string_view name);

}  // namespace npuprobe::base
