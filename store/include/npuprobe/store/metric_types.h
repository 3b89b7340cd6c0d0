// Metric kinds, gauge multiprocess modes and store file formats: the vocabulary shared by the
// registry, the writer and the reader.
#pragma once

#include <optional>
#include <string_view>

#include "npuprobe/base/store_format.h"

namespace npuprobe::store {

enum class MetricType { kCounter, kGauge, kHistogram };

// prometheus_client's multiprocess gauge modes (the second part of a gauge file name).
// kAuto is npuprobe's own: `mostrecent` in format v2 and `liveall` in v1 (docs/contract.md),
// because v1 readers (0.16/0.17) do not know `mostrecent`.
enum class GaugeMode {
  kAuto,
  kAll,
  kLiveAll,
  kMin,
  kLiveMin,
  kMax,
  kLiveMax,
  kSum,
  kLiveSum,
  kMostRecent,
  kLiveMostRecent,
};

// On-disk layout of a `.db` file. v1: 8-byte value per entry (prometheus_client 0.16, 0.17).
// v2: value + timestamp, 16 bytes (0.18 and later). The files carry no version marker.
enum class StoreFormat { kV1, kV2 };

// What the user asked for (base/store_format.h: the config layer reads it without the store).
using base::FormatPreference;
using base::parse_format_preference;
using base::to_string;

std::string_view to_string(MetricType type);
std::string_view to_string(GaugeMode mode);
std::string_view to_string(StoreFormat format);

std::optional<GaugeMode> parse_gauge_mode(std::string_view text);

// The mode a gauge family is written with in `format`: kAuto resolved, and the `mostrecent`
// modes (v2 only) mapped to `liveall` in v1.
GaugeMode effective_gauge_mode(GaugeMode mode, StoreFormat format);

bool is_live_gauge_mode(GaugeMode mode);
bool is_most_recent_gauge_mode(GaugeMode mode);

// Bytes of the value block that follows each key: 8 (v1) or 16 (v2).
inline constexpr unsigned value_block_size(StoreFormat format) {
  return format == StoreFormat::kV1 ? 8u : 16u;
}

}  // namespace npuprobe::store
