#include "accumulate_samples.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "npuprobe/store/python_float.h"

namespace npuprobe::store {
namespace {

// Samples keyed by (name, labels), remembering first-insertion order like a Python dict.
class OrderedSamples {
 public:
  double &at(const std::string &name, const LabelPairs &labels, double initial) {
    // The key is built in one reused buffer and looked up before anything is copied.
    key_.assign(name);
    for (const auto &[label, value] : labels) {
      key_ += '\0';
      key_ += label;
      key_ += '\0';
      key_ += value;
    }
    const auto found = index_.find(key_);
    if (found != index_.end()) return samples_[found->second].value;
    index_.emplace(key_, samples_.size());
    samples_.push_back(Sample{name, labels, initial});
    return samples_.back().value;
  }
  std::vector<Sample> release() { return std::move(samples_); }

 private:
  std::string key_;
  std::vector<Sample> samples_;
  std::unordered_map<std::string, std::size_t> index_;
};

LabelPairs without(const LabelPairs &labels, const char *name) {
  LabelPairs kept;
  for (const auto &label : labels) {
    if (label.first != name) kept.push_back(label);
  }
  return kept;
}

bool parse_python_float(const std::string &text, double *value) {
  char *end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

void accumulate_gauge(const RawFamily &family, OrderedSamples &out) {
  const std::string &mode = family.gauge_mode;
  std::map<std::pair<std::string, LabelPairs>, double> stamps;  // mostrecent
  for (const RawSample &s : family.samples) {
    const LabelPairs no_pid = without(s.labels, "pid");
    if (mode == "min" || mode == "livemin") {
      double &current = out.at(s.name, no_pid, s.value);
      if (s.value < current) current = s.value;
    } else if (mode == "max" || mode == "livemax") {
      double &current = out.at(s.name, no_pid, s.value);
      if (s.value > current) current = s.value;
    } else if (mode == "sum" || mode == "livesum") {
      out.at(s.name, no_pid, 0.0) += s.value;
    } else if (mode == "mostrecent" || mode == "livemostrecent") {
      // The largest timestamp wins; a timestamp of 0 (never set) is never shown.
      double &stamp = stamps[{s.name, no_pid}];
      if (stamp < s.timestamp) {
        out.at(s.name, no_pid, s.value) = s.value;
        stamp = s.timestamp;
      }
    } else {  // all, liveall
      out.at(s.name, s.labels, s.value) = s.value;
    }
  }
}

void accumulate_histogram(const RawFamily &family, OrderedSamples &out,
                          std::vector<std::string> &errors) {
  // Per label set (first-seen order): bound -> summed non-cumulative count.
  std::vector<std::pair<LabelPairs, std::map<double, double>>> buckets;
  std::map<LabelPairs, std::size_t> bucket_index;
  for (const RawSample &s : family.samples) {
    const auto le = std::find_if(s.labels.begin(), s.labels.end(),
                                 [](const auto &label) { return label.first == "le"; });
    if (le == s.labels.end()) {
      out.at(s.name, s.labels, 0.0) += s.value;  // _sum (and _count if a writer stored one)
      continue;
    }
    double bound = 0;
    if (!parse_python_float(le->second, &bound)) {
      errors.push_back(family.name + ": bucket with unparsable le=\"" + le->second + "\" skipped");
      continue;
    }
    LabelPairs plain = without(s.labels, "le");
    auto it = bucket_index.find(plain);
    if (it == bucket_index.end()) {
      it = bucket_index.emplace(plain, buckets.size()).first;
      buckets.emplace_back(std::move(plain), std::map<double, double>{});
    }
    buckets[it->second].second[bound] += s.value;
  }
  // A family has a dozen bounds and many label sets: each bound is formatted once.
  std::unordered_map<double, std::string> le_text;
  const std::string bucket_name = family.name + "_bucket";
  const std::string count_name = family.name + "_count";
  for (const auto &[labels, counts] : buckets) {
    double cumulative = 0;
    for (const auto &[bound, count] : counts) {
      cumulative += count;
      auto text = le_text.find(bound);
      if (text == le_text.end()) text = le_text.emplace(bound, float_to_go_string(bound)).first;
      LabelPairs with_le = labels;
      with_le.emplace_back("le", text->second);
      std::sort(with_le.begin(), with_le.end());
      out.at(bucket_name, with_le, 0.0) = cumulative;
    }
    out.at(count_name, labels, 0.0) = cumulative;
  }
}

}  // namespace

CollectedFamily accumulate_samples(const RawFamily &family, std::vector<std::string> &errors) {
  OrderedSamples out;
  if (family.type == "gauge") {
    accumulate_gauge(family, out);
  } else if (family.type == "histogram") {
    accumulate_histogram(family, out, errors);
  } else {
    for (const RawSample &s : family.samples) out.at(s.name, s.labels, 0.0) += s.value;
  }
  return CollectedFamily{family.name, family.help, family.type, out.release()};
}

}  // namespace npuprobe::store
