#include "npuprobe/store/folder_collectable.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "npuprobe/base/log.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;
namespace {

std::vector<prometheus::ClientMetric::Label> to_labels(const LabelPairs &labels) {
  std::vector<prometheus::ClientMetric::Label> out;
  for (const auto &[name, value] : labels) {
    if (name != "le") out.push_back({name, value});
  }
  return out;
}

bool ends_with(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Histogram and summary samples (_sum, _count, _bucket) regrouped into one ClientMetric per
// label set, in first-seen order.
std::vector<prometheus::ClientMetric> group_distribution(const CollectedFamily &family,
                                                         bool histogram) {
  std::vector<prometheus::ClientMetric> metrics;
  std::map<std::vector<prometheus::ClientMetric::Label>, std::size_t> index;
  for (const Sample &sample : family.samples) {
    const auto labels = to_labels(sample.labels);
    auto [it, inserted] = index.emplace(labels, metrics.size());
    if (inserted) metrics.emplace_back().label = labels;
    prometheus::ClientMetric &metric = metrics[it->second];
    const auto count = static_cast<std::uint64_t>(std::llround(sample.value));
    if (ends_with(sample.name, "_sum")) {
      (histogram ? metric.histogram.sample_sum : metric.summary.sample_sum) = sample.value;
    } else if (ends_with(sample.name, "_count")) {
      (histogram ? metric.histogram.sample_count : metric.summary.sample_count) = count;
    } else if (histogram && ends_with(sample.name, "_bucket")) {
      const auto le = std::find_if(sample.labels.begin(), sample.labels.end(),
                                   [](const auto &label) { return label.first == "le"; });
      const double bound =
          le == sample.labels.end() ? HUGE_VAL : std::strtod(le->second.c_str(), nullptr);
      metric.histogram.bucket.push_back({count, bound});
    }
  }
  for (auto &metric : metrics) {
    std::sort(metric.histogram.bucket.begin(), metric.histogram.bucket.end(),
              [](const auto &a, const auto &b) { return a.upper_bound < b.upper_bound; });
  }
  return metrics;
}

}  // namespace

std::vector<prometheus::MetricFamily> to_prometheus_families(
    const std::vector<CollectedFamily> &families) {
  std::vector<prometheus::MetricFamily> out;
  for (const CollectedFamily &family : families) {
    prometheus::MetricFamily converted;
    converted.name = family.name;
    converted.help = family.help;
    if (family.type == "histogram" || family.type == "summary") {
      const bool histogram = family.type == "histogram";
      converted.type =
          histogram ? prometheus::MetricType::Histogram : prometheus::MetricType::Summary;
      converted.metric = group_distribution(family, histogram);
    } else {
      const bool counter = family.type == "counter";
      if (counter) converted.name += "_total";
      converted.type = counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
      for (const Sample &sample : family.samples) {
        prometheus::ClientMetric metric;
        metric.label = to_labels(sample.labels);
        (counter ? metric.counter.value : metric.gauge.value) = sample.value;
        converted.metric.push_back(std::move(metric));
      }
    }
    out.push_back(std::move(converted));
  }
  return out;
}

FolderCollectable::FolderCollectable(std::string directory, FormatPreference format)
    : directory_(std::move(directory)), format_(format) {}

std::vector<prometheus::MetricFamily> FolderCollectable::Collect() const {
  FolderContents contents = collect_folder(directory_, format_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (contents.errors != last_errors_) {
    for (const std::string &error : contents.errors) {
      log_message(LogLevel::kWarn, "skipped: %s", error.c_str());
    }
    last_errors_ = contents.errors;
  }
  return to_prometheus_families(contents.families);
}

}  // namespace npuprobe::store
