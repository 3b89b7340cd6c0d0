#include "npuprobe/store/metric_types.h"

#include <array>
#include <utility>

namespace npuprobe::store {
namespace {

constexpr std::array<std::pair<GaugeMode, std::string_view>, 11> kGaugeModeNames{{
    {GaugeMode::kAuto, "auto"},
    {GaugeMode::kAll, "all"},
    {GaugeMode::kLiveAll, "liveall"},
    {GaugeMode::kMin, "min"},
    {GaugeMode::kLiveMin, "livemin"},
    {GaugeMode::kMax, "max"},
    {GaugeMode::kLiveMax, "livemax"},
    {GaugeMode::kSum, "sum"},
    {GaugeMode::kLiveSum, "livesum"},
    {GaugeMode::kMostRecent, "mostrecent"},
    {GaugeMode::kLiveMostRecent, "livemostrecent"},
}};

}  // namespace

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "unknown";
}

std::string_view to_string(GaugeMode mode) {
  for (const auto &[value, name] : kGaugeModeNames) {
    if (value == mode) return name;
  }
  return "unknown";
}

std::string_view to_string(StoreFormat format) {
  return format == StoreFormat::kV1 ? "v1" : "v2";
}

std::optional<GaugeMode> parse_gauge_mode(std::string_view text) {
  for (const auto &[value, name] : kGaugeModeNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

GaugeMode effective_gauge_mode(GaugeMode mode, StoreFormat format) {
  if (mode == GaugeMode::kAuto) {
    return format == StoreFormat::kV2 ? GaugeMode::kMostRecent : GaugeMode::kLiveAll;
  }
  // note: a 0.16 reader treats an unknown mode like `all`, which would keep a dead process's
  // last value forever; `liveall` is the closest v1 mode that also removes it at exit.
  if (format == StoreFormat::kV1 && is_most_recent_gauge_mode(mode)) return GaugeMode::kLiveAll;
  return mode;
}

bool is_live_gauge_mode(GaugeMode mode) {
  return mode == GaugeMode::kLiveAll || mode == GaugeMode::kLiveMin ||
         mode == GaugeMode::kLiveMax || mode == GaugeMode::kLiveSum ||
         mode == GaugeMode::kLiveMostRecent;
}

bool is_most_recent_gauge_mode(GaugeMode mode) {
  return mode == GaugeMode::kMostRecent || mode == GaugeMode::kLiveMostRecent;
}

}  // namespace npuprobe::store
