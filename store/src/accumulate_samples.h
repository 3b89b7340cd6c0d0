// The second half of MultiProcessCollector.merge(): combining the raw samples of one family.
#pragma once

#include <string>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

struct RawSample {
  std::string name;
  LabelPairs labels;  // sorted; gauges carry `pid`
  double value;
  double timestamp;
};

struct RawFamily {
  std::string name;
  std::string help;
  std::string type;
  std::string gauge_mode;  // of the last gauge file read, as in Python
  std::vector<RawSample> samples;
};

// Appends problems (an unparsable `le`) to `errors`.
CollectedFamily accumulate_samples(const RawFamily &family, std::vector<std::string> &errors);

}  // namespace npuprobe::store
