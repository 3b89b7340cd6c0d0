// The second half of MultiProcessCollector.merge(): combining the samples of one family, fed
// entry by entry as the files are read, in file order. Counters, summaries and histograms are
// combined as they come (a sample already seen costs a hash, nothing is copied); gauges are kept
// until the end, because their mode is that of the last gauge file read, as in Python.
//
// When asked, it also writes down how each output value follows from the entries (a recipe per
// sample), so that a scrape of a folder whose keys have not changed recomputes the values
// without decoding a key or building a label set (steady_collection.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exposition_lines.h"
#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

// How one output sample's value is made from input values (one input: one file entry, numbered
// in reading order across the folder).
struct SampleRecipe {
  enum class Op : std::uint8_t {
    kSum,         // the sum of the inputs (0 without any)
    kMin,         // the smallest input
    kMax,         // the largest input
    kLast,        // the last input
    kMostRecent,  // the input with the largest timestamp (the first of equal ones)
    kCumulative,  // sample `ref`'s value (0 when ref is kNone) + the sum of the inputs
    kCopy,        // sample `ref`'s value
  };
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  Op op = Op::kSum;
  std::vector<std::uint32_t> inputs;
  std::uint32_t ref = kNone;
  // kMostRecent: the input that made the sample (the first newer than 0). Samples are made in
  // that order, so where it falls decides where the sample is listed.
  std::uint32_t made_by = kNone;
};

// What recording leaves besides the recipes: mostrecent series not shown because no timestamp
// was newer than 0; one that becomes newer makes a new sample, so the plan is stale.
struct HiddenSeries {
  std::vector<std::uint32_t> inputs;
};

class FamilyAccumulator {
 public:
  // `type`: the type of the first file that had the family (prometheus_client keeps that one).
  FamilyAccumulator(std::string name, std::string help, std::string type, bool record = false);
  ~FamilyAccumulator();
  FamilyAccumulator(FamilyAccumulator &&) noexcept;
  FamilyAccumulator &operator=(FamilyAccumulator &&) noexcept;

  // One entry of a counter, histogram or summary file (labels sorted); `input` its number.
  void add(std::string_view sample_name, const LabelViews &labels, double value,
           std::uint32_t input = 0);
  // One entry of a gauge file in `mode`, with the file's pid (labels sorted, without pid).
  void add_gauge(const std::string &mode, const std::string &pid, std::string_view sample_name,
                 const LabelViews &labels, double value, double timestamp,
                 std::uint32_t input = 0);

  // The family's samples. Appends problems (an unparsable `le`) to `errors`. When recording,
  // `recipes` gets one recipe per sample and `hidden` the mostrecent series not shown.
  CollectedFamily finish(std::vector<std::string> &errors,
                         std::vector<SampleRecipe> *recipes = nullptr,
                         std::vector<HiddenSeries> *hidden = nullptr);
  // The same without building a Sample per line (npuprobe dump): the family's samples stay in
  // the accumulator, which must outlive the answer.
  TableFamily finish_table(std::vector<std::string> &errors);

 private:
  void combine(std::vector<std::string> &errors, std::vector<HiddenSeries> *hidden);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace npuprobe::store
