// A store folder as a prometheus-cpp Collectable: every Collect() reads and aggregates the
// folder afresh (MultiProcessCollector semantics), so an Exposer serves its current state.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <mutex>
#include <string>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

// Counters are named "<name>_total" (the sample name); histograms regrouped per label set.
std::vector<prometheus::MetricFamily> to_prometheus_families(
    const std::vector<CollectedFamily> &families);

class FolderCollectable : public prometheus::Collectable {
 public:
  FolderCollectable(std::string directory, FormatPreference format);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string directory_;
  const FormatPreference format_;
  mutable std::mutex mutex_;
  mutable std::vector<std::string> last_errors_;  // logged again only when they change
};

}  // namespace npuprobe::store
