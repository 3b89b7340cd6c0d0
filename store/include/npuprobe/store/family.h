// What a metric family is: registered once at start-up, immutable afterwards.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "npuprobe/store/bucket_index.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

struct FamilySpec {
  MetricType type = MetricType::kCounter;
  // For counters a trailing "_total" is dropped, as prometheus_client does: the family is
  // stored as `name` with the sample `name_total`.
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  // Histograms only: finite upper bounds, strictly increasing; "+Inf" is implicit (a trailing
  // +Inf is accepted and dropped).
  std::vector<double> bucket_bounds;
  // Gauges only.
  GaugeMode gauge_mode = GaugeMode::kAuto;
};

inline FamilySpec counter_spec(std::string name, std::string help,
                               std::vector<std::string> label_names = {}) {
  return FamilySpec{
      MetricType::kCounter, std::move(name), std::move(help), std::move(label_names), {},
      GaugeMode::kAuto};
}

inline FamilySpec gauge_spec(std::string name, std::string help,
                             std::vector<std::string> label_names = {},
                             GaugeMode mode = GaugeMode::kAuto) {
  return FamilySpec{
      MetricType::kGauge, std::move(name), std::move(help), std::move(label_names), {}, mode};
}

inline FamilySpec histogram_spec(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> bucket_bounds) {
  return FamilySpec{MetricType::kHistogram, std::move(name),          std::move(help),
                    std::move(label_names), std::move(bucket_bounds), GaugeMode::kAuto};
}

// A family as the registry keeps it (name normalised, bounds without +Inf).
struct FamilyInfo {
  MetricType type;
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bucket_bounds;
  GaugeMode gauge_mode;
  bool detail = false;       // MetricRegistry::mark_detail
  BucketIndex bucket_index;  // histograms: built from bucket_bounds at registration
};

// Thrown by registration only (never by recording): a bad name, label set or bucket list is a
// programming error that must surface at start-up, with a message that says what is wrong.
class MetricSpecError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace npuprobe::store
