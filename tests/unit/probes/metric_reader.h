// Reads values back from a registry the way the publisher sees them (collect()), found by
// family name (without the prefix) and label values.
#pragma once

#include <string>
#include <vector>

#include "npuprobe/store/registry.h"

namespace npuprobe::probes::testing {

using Labels = std::vector<std::string>;

// {dp="0", device=d} and {dp="0", device=d, api=a}: the label sets most tests read.
Labels dev(int device);
Labels dev_api(int device, const std::string &api);

struct HistogramValue {
  double count = 0;
  double sum = 0;
  std::vector<double> buckets;  // per bucket (not cumulative), +Inf last
};

class MetricReader {
 public:
  explicit MetricReader(const store::MetricRegistry &registry,
                        std::string prefix = "vllm_profiling_");

  bool has(const std::string &family, const Labels &labels) const;
  // The family is registered (with or without series).
  bool has_family(const std::string &family) const;
  // Series of a family that exist (resolved), whatever their values.
  std::size_t series_count(const std::string &family) const;
  // A missing series fails the test and reads as -1.
  double counter(const std::string &family, const Labels &labels) const;
  double gauge(const std::string &family, const Labels &labels) const;
  HistogramValue histogram(const std::string &family, const Labels &labels) const;

 private:
  const store::SeriesInfo *find(const std::string &family, const Labels &labels) const;

  std::string prefix_;
  store::RegistrySnapshot snapshot_;
};

}  // namespace npuprobe::probes::testing
