// The second half of MultiProcessCollector.merge(): combining the samples of one family, fed
// entry by entry as the files are read, in file order. Counters, summaries and histograms are
// combined as they come (a sample already seen costs a hash, nothing is copied); gauges are kept
// until the end, because their mode is that of the last gauge file read, as in Python.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

class FamilyAccumulator {
 public:
  // `type`: the type of the first file that had the family (prometheus_client keeps that one).
  FamilyAccumulator(std::string name, std::string help, std::string type);
  ~FamilyAccumulator();
  FamilyAccumulator(FamilyAccumulator &&) noexcept;
  FamilyAccumulator &operator=(FamilyAccumulator &&) noexcept;

  // One entry of a counter, histogram or summary family (labels sorted).
  void add(const std::string &sample_name, const LabelPairs &labels, double value);
  // One entry of a gauge file in `mode`, with the file's pid (labels sorted, without pid).
  void add_gauge(const std::string &mode, const std::string &pid, const std::string &sample_name,
                 const LabelPairs &labels, double value, double timestamp);

  const std::string &type() const;
  // The family's samples. Appends problems (an unparsable `le`) to `errors`.
  CollectedFamily finish(std::vector<std::string> &errors);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace npuprobe::store
