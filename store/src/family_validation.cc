#include "family_validation.h"

#include <cmath>
#include <set>

#include "npuprobe/base/metric_name.h"

namespace npuprobe::store {
namespace {

[[noreturn]] void refuse(const std::string &name, const std::string &why) {
  throw MetricSpecError("npuprobe: cannot register metric '" + name + "': " + why);
}

void check_bounds(const std::string &name, std::vector<double> &bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  if (bounds.empty()) refuse(name, "a histogram needs at least one finite bucket bound");
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) refuse(name, "bucket bounds must be finite (+Inf is implicit)");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      refuse(name, "bucket bounds must be strictly increasing");
    }
  }
}

}  // namespace

FamilyInfo validate_family_spec(const FamilySpec &spec) {
  FamilyInfo info{spec.type,        spec.name,          spec.help,
                  spec.label_names, spec.bucket_bounds, spec.gauge_mode,
                  false,            BucketIndex{}};
  // prometheus_client stores a counter "x_total" as family "x" with sample "x_total".
  const std::string suffix = "_total";
  if (info.type == MetricType::kCounter && info.name.size() > suffix.size() &&
      info.name.compare(info.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    info.name.resize(info.name.size() - suffix.size());
  }
  if (!base::is_valid_metric_name(info.name)) {
    refuse(spec.name,
           "the name must match ^[a-zA-Z_:][a-zA-Z0-9_:]*$ (one invalid name makes "
           "prometheus_client fail the whole scrape)");
  }
  std::set<std::string> seen;
  for (const std::string &label : info.label_names) {
    if (!base::is_valid_label_name(label)) {
      refuse(spec.name, "invalid label name '" + label +
                            "' (must match ^[a-zA-Z_][a-zA-Z0-9_]*$, not start with __)");
    }
    if (!seen.insert(label).second) refuse(spec.name, "label '" + label + "' given twice");
    if (info.type == MetricType::kHistogram && label == "le") {
      refuse(spec.name, "'le' is reserved for histogram buckets");
    }
    if (info.type == MetricType::kGauge && label == "pid") {
      refuse(spec.name, "'pid' is added by the multiprocess collector to gauges");
    }
  }
  if (info.type == MetricType::kHistogram) {
    check_bounds(spec.name, info.bucket_bounds);
  } else if (!info.bucket_bounds.empty()) {
    refuse(spec.name, "only histograms take bucket bounds");
  }
  return info;
}

}  // namespace npuprobe::store
