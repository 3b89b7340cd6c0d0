#include "metric_reader.h"

#include <gtest/gtest.h>

namespace npuprobe::probes::testing {

Labels dev(int device) {
  return {"0", std::to_string(device)};
}

Labels dev_api(int device, const std::string &api) {
  return {"0", std::to_string(device), api};
}

MetricReader::MetricReader(const store::MetricRegistry &registry, std::string prefix)
    : prefix_(std::move(prefix)) {
  registry.collect(snapshot_);
}

const store::SeriesInfo *MetricReader::find(const std::string &family, const Labels &labels) const {
  for (const store::SeriesInfo &series : snapshot_.series) {
    if (snapshot_.families[series.family].name == prefix_ + family &&
        series.label_values == labels) {
      return &series;
    }
  }
  return nullptr;
}

bool MetricReader::has(const std::string &family, const Labels &labels) const {
  return find(family, labels) != nullptr;
}

bool MetricReader::has_family(const std::string &family) const {
  for (const store::FamilyInfo &info : snapshot_.families) {
    if (info.name == prefix_ + family) return true;
  }
  return false;
}

std::size_t MetricReader::series_count(const std::string &family) const {
  std::size_t count = 0;
  for (const store::SeriesInfo &series : snapshot_.series) {
    count += snapshot_.families[series.family].name == prefix_ + family;
  }
  return count;
}

namespace {
std::string describe(const std::string &family, const Labels &labels) {
  std::string text = family + "{";
  for (const std::string &label : labels) text += label + ",";
  return text + "}";
}
}  // namespace

double MetricReader::counter(const std::string &family, const Labels &labels) const {
  const store::SeriesInfo *series = find(family, labels);
  if (!series) {
    ADD_FAILURE() << "no series " << describe(family, labels);
    return -1;
  }
  return snapshot_.cell_totals[series->first];
}

double MetricReader::gauge(const std::string &family, const Labels &labels) const {
  const store::SeriesInfo *series = find(family, labels);
  if (!series) {
    ADD_FAILURE() << "no series " << describe(family, labels);
    return -1;
  }
  return snapshot_.gauges[series->first].value;
}

HistogramValue MetricReader::histogram(const std::string &family, const Labels &labels) const {
  const store::SeriesInfo *series = find(family, labels);
  HistogramValue value;
  if (!series) {
    ADD_FAILURE() << "no series " << describe(family, labels);
    value.count = value.sum = -1;
    return value;
  }
  const std::size_t bounds = snapshot_.families[series->family].bucket_bounds.size();
  for (std::size_t i = 0; i <= bounds; ++i) {
    value.buckets.push_back(snapshot_.cell_totals[series->first + i]);
    value.count += value.buckets.back();
  }
  value.sum = snapshot_.cell_totals[series->first + bounds + 1];
  return value;
}

}  // namespace npuprobe::probes::testing
