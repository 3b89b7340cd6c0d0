// A consistent-enough copy of the registry for the publisher: metadata (appended as families
// and series are registered) and merged totals (refreshed by every collect()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npuprobe/store/family.h"

namespace npuprobe::store {

struct SeriesInfo {
  std::uint32_t family;
  std::vector<std::string> label_values;  // in the family's label_names order
  // First cell (counter: 1 cell; histogram: bounds + 2 cells) or gauge slot.
  std::uint32_t first;
};

struct GaugeReading {
  double value = 0;
  double timestamp = 0;  // seconds since the epoch of the last set(); 0 = never set
};

struct RegistrySnapshot {
  std::vector<FamilyInfo> families;
  std::vector<SeriesInfo> series;
  std::vector<double> cell_totals;    // summed over all thread shards, indexed by cell
  std::vector<GaugeReading> gauges;   // indexed by gauge slot
  std::uint64_t fork_generation = 0;  // changes when the registry was reset after fork
};

}  // namespace npuprobe::store
