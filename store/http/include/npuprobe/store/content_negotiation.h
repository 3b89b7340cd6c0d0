// Which exposition and which content coding a scrape gets (content_negotiation.cc).
#pragma once

#include <string_view>

namespace npuprobe::store {

inline constexpr const char *kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// The Accept header asks for OpenMetrics text: exactly prometheus_client's choose_encoder()
// (exposition.py), which takes the first comma-separated item whose media type, before any
// ';', is "application/openmetrics-text" and ignores its parameters (q included).
bool wants_openmetrics(std::string_view accept);

// The Accept-Encoding header accepts gzip with a q-value above 0 (RFC 9110 12.5.3): "gzip" or
// "x-gzip" named with q > 0, or not named and "*" with q > 0. "gzip;q=0" means identity.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace npuprobe::store
