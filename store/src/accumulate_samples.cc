#include "accumulate_samples.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "npuprobe/store/python_float.h"

namespace npuprobe::store {
namespace {

// Appends the (name, labels) identity of a sample to `key`, leaving out every label called
// `skip` (nullptr: none). Labels are sorted, so equal label sets give equal keys.
void append_identity(std::string &key, const std::string &name, const LabelPairs &labels,
                     const char *skip) {
  key.assign(name);
  for (const auto &[label, value] : labels) {
    if (skip != nullptr && label == skip) continue;
    key += '\0';
    key += label;
    key += '\0';
    key += value;
  }
}

LabelPairs without(const LabelPairs &labels, const char *name) {
  LabelPairs kept;
  kept.reserve(labels.size());
  for (const auto &label : labels) {
    if (label.first != name) kept.push_back(label);
  }
  return kept;
}

// Samples keyed by (name, labels), remembering first-insertion order like a Python dict. A
// collection reads one entry per series per process: a hit must cost a hash and nothing else,
// so the key is built in one reused buffer and nothing is copied unless it is new.
class OrderedSamples {
 public:
  // The sample (name, labels without `skip`), made with `initial` when new; `*created` says so.
  double &at(const std::string &name, const LabelPairs &labels, double initial,
             const char *skip = nullptr, bool *created = nullptr) {
    append_identity(key_, name, labels, skip);
    const auto [it, inserted] = index_.try_emplace(key_, samples_.size());
    if (created != nullptr) *created = inserted;
    if (!inserted) return samples_[it->second].value;
    samples_.push_back(Sample{name, skip != nullptr ? without(labels, skip) : labels, initial});
    return samples_.back().value;
  }
  // Appends a sample the caller knows to be new (no earlier one has its name); never looked up.
  void append_new(const std::string &name, const LabelPairs &labels, double value) {
    samples_.push_back(Sample{name, labels, value});
  }
  bool has_name(const std::string &name) const {
    return std::any_of(samples_.begin(), samples_.end(),
                       [&](const Sample &s) { return s.name == name; });
  }
  std::vector<Sample> release() { return std::move(samples_); }

 private:
  std::string key_;
  std::vector<Sample> samples_;
  std::unordered_map<std::string, std::size_t> index_;
};

bool parse_python_float(const std::string &text, double *value) {
  char *end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

enum class GaugeMode { kMin, kMax, kSum, kMostRecent, kAll };

GaugeMode gauge_mode(const std::string &mode) {
  if (mode == "min" || mode == "livemin") return GaugeMode::kMin;
  if (mode == "max" || mode == "livemax") return GaugeMode::kMax;
  if (mode == "sum" || mode == "livesum") return GaugeMode::kSum;
  if (mode == "mostrecent" || mode == "livemostrecent") return GaugeMode::kMostRecent;
  return GaugeMode::kAll;  // all, liveall
}

struct GaugeSample {
  std::string name;
  LabelPairs labels;  // sorted, with pid
  double value;
  double timestamp;
};

void accumulate_gauge(const std::vector<GaugeSample> &samples, const std::string &last_mode,
                      OrderedSamples &out) {
  const GaugeMode mode = gauge_mode(last_mode);
  std::unordered_map<std::string, double> stamps;  // mostrecent: identity -> newest timestamp
  std::string key;
  for (const GaugeSample &s : samples) {
    switch (mode) {
      case GaugeMode::kMin: {
        double &current = out.at(s.name, s.labels, s.value, "pid");
        if (s.value < current) current = s.value;
        break;
      }
      case GaugeMode::kMax: {
        double &current = out.at(s.name, s.labels, s.value, "pid");
        if (s.value > current) current = s.value;
        break;
      }
      case GaugeMode::kSum:
        out.at(s.name, s.labels, 0.0, "pid") += s.value;
        break;
      case GaugeMode::kMostRecent: {
        // The largest timestamp wins; a timestamp of 0 (never set) is never shown, so a series
        // is made only when a sample newer than 0 arrives.
        append_identity(key, s.name, s.labels, "pid");
        double &stamp = stamps.try_emplace(key, 0.0).first->second;
        if (stamp < s.timestamp) {
          out.at(s.name, s.labels, s.value, "pid") = s.value;
          stamp = s.timestamp;
        }
        break;
      }
      case GaugeMode::kAll:
        out.at(s.name, s.labels, s.value) = s.value;
        break;
    }
  }
}

// One label set of a histogram: its labels without `le`, and bound -> summed count.
struct BucketSet {
  LabelPairs labels;
  std::vector<std::pair<double, double>> counts;  // sorted by bound; a dozen bounds

  void add(double bound, double count) {
    auto it = std::lower_bound(counts.begin(), counts.end(), bound,
                               [](const auto &entry, double b) { return entry.first < b; });
    if (it != counts.end() && it->first == bound) {
      it->second += count;
    } else {
      counts.insert(it, {bound, count});
    }
  }
};

// The buckets of a histogram family as they come, made cumulative at the end.
class HistogramBuckets {
 public:
  // False when the sample has no `le` (a _sum, or a _count a writer stored).
  bool add(const std::string &family, const LabelPairs &labels, double value,
           std::vector<std::string> &errors) {
    const auto le = std::find_if(labels.begin(), labels.end(),
                                 [](const auto &label) { return label.first == "le"; });
    if (le == labels.end()) return false;
    auto parsed = bounds_.find(le->second);
    if (parsed == bounds_.end()) {
      double bound = 0;
      if (!parse_python_float(le->second, &bound)) {
        errors.push_back(family + ": bucket with unparsable le=\"" + le->second + "\" skipped");
        return true;
      }
      parsed = bounds_.emplace(le->second, bound).first;
      if (std::isnan(bound)) has_nan_ = true;
    }
    // The label set without le (the sample name is the same for every bucket).
    append_identity(key_, std::string(), labels, "le");
    const auto [it, inserted] = set_index_.try_emplace(key_, sets_.size());
    if (inserted) sets_.push_back(BucketSet{without(labels, "le"), {}});
    sets_[it->second].add(parsed->second, value);
    return true;
  }

  void finish(const std::string &family, OrderedSamples &out) const {
    // Each bound is formatted once per family, not once per label set.
    std::unordered_map<double, std::string> le_text;
    const std::string bucket_name = family + "_bucket";
    const std::string count_name = family + "_count";
    // Every (label set, bound) is one bucket sample: they need no lookup unless a stored sample
    // already has the bucket name (only a hand-made file does) or a NaN bound repeats itself.
    const bool unique = !has_nan_ && !out.has_name(bucket_name);
    for (const BucketSet &set : sets_) {
      // `le` goes where sorting would put it: the other labels are sorted and none is "le".
      LabelPairs with_le = set.labels;
      const auto at = std::find_if(with_le.begin(), with_le.end(),
                                   [](const auto &label) { return label.first > "le"; });
      const std::size_t le = static_cast<std::size_t>(at - with_le.begin());
      with_le.emplace(at, "le", std::string());
      double cumulative = 0;
      for (const auto &[bound, count] : set.counts) {
        cumulative += count;
        auto text = le_text.find(bound);
        if (text == le_text.end()) text = le_text.emplace(bound, float_to_go_string(bound)).first;
        with_le[le].second = text->second;
        if (unique) {
          out.append_new(bucket_name, with_le, cumulative);
        } else {
          out.at(bucket_name, with_le, 0.0) = cumulative;
        }
      }
      out.at(count_name, set.labels, 0.0) = cumulative;
    }
  }

 private:
  std::vector<BucketSet> sets_;  // first-seen order
  std::unordered_map<std::string, std::size_t> set_index_;
  std::unordered_map<std::string, double> bounds_;  // le text -> bound: a dozen per family
  std::string key_;
  bool has_nan_ = false;
};

}  // namespace

struct FamilyAccumulator::State {
  std::string name, help, type;
  OrderedSamples out;             // counters, summaries, histogram sums, in first-seen order
  HistogramBuckets buckets;       // histograms
  std::vector<GaugeSample> gauges;
  std::string gauge_mode;         // of the last gauge file read, as in Python
  std::vector<std::string> errors;
};

FamilyAccumulator::FamilyAccumulator(std::string name, std::string help, std::string type)
    : state_(std::make_unique<State>()) {
  state_->name = std::move(name);
  state_->help = std::move(help);
  state_->type = std::move(type);
}
FamilyAccumulator::~FamilyAccumulator() = default;
FamilyAccumulator::FamilyAccumulator(FamilyAccumulator &&) noexcept = default;
FamilyAccumulator &FamilyAccumulator::operator=(FamilyAccumulator &&) noexcept = default;

const std::string &FamilyAccumulator::type() const { return state_->type; }

void FamilyAccumulator::add(const std::string &sample_name, const LabelPairs &labels,
                            double value) {
  State &s = *state_;
  if (s.type == "gauge") {  // a counter file's entry in a family a gauge file made first
    s.gauges.push_back(GaugeSample{sample_name, labels, value, 0});
    return;
  }
  if (s.type == "histogram" && s.buckets.add(s.name, labels, value, s.errors)) return;
  s.out.at(sample_name, labels, 0.0) += value;
}

void FamilyAccumulator::add_gauge(const std::string &mode, const std::string &pid,
                                  const std::string &sample_name, const LabelPairs &labels,
                                  double value, double timestamp) {
  State &s = *state_;
  s.gauge_mode = mode;
  if (s.type != "gauge") {
    // A gauge file's entry in a family another type made first: combined as that type, pid
    // label included (what Python does with it).
    LabelPairs with_pid = labels;
    with_pid.emplace_back("pid", pid);
    std::sort(with_pid.begin(), with_pid.end());
    if (s.type == "histogram" && s.buckets.add(s.name, with_pid, value, s.errors)) return;
    s.out.at(sample_name, with_pid, 0.0) += value;
    return;
  }
  GaugeSample sample{sample_name, labels, value, timestamp};
  sample.labels.emplace_back("pid", pid);
  std::sort(sample.labels.begin(), sample.labels.end());
  s.gauges.push_back(std::move(sample));
}

CollectedFamily FamilyAccumulator::finish(std::vector<std::string> &errors) {
  State &s = *state_;
  if (s.type == "gauge") {
    accumulate_gauge(s.gauges, s.gauge_mode, s.out);
  } else if (s.type == "histogram") {
    s.buckets.finish(s.name, s.out);
  }
  errors.insert(errors.end(), s.errors.begin(), s.errors.end());
  return CollectedFamily{s.name, s.help, s.type, s.out.release()};
}

}  // namespace npuprobe::store
