#include "accumulate_samples.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "npuprobe/store/python_float.h"
#include "sample_table.h"

namespace npuprobe::store {
namespace {

// Sets `key` to the (name, labels) identity of a sample, leaving out every label called `skip`
// (nullptr: none). Labels are sorted, so equal label sets give equal keys. Labels are strings
// or views (a collection passes views into the file's bytes).
template <typename Labels>
void append_identity(std::string &key, std::string_view name, const Labels &labels,
                     const char *skip) {
  // string_view comparisons: a length check first, no strlen per label. Sized once, then
  // copied piece by piece: every entry of every file builds one.
  const std::string_view skipped = skip != nullptr ? std::string_view(skip) : std::string_view();
  std::size_t size = name.size();
  for (const auto &[label, value] : labels) size += label.size() + value.size() + 2;
  key.resize(size);
  char *at = &key[0];
  const auto copy = [&at](std::string_view text) {
    // An empty view may have no data pointer, which memcpy must not be given.
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    at += text.size();
  };
  copy(name);
  for (const auto &[label, value] : labels) {
    if (skip != nullptr && std::string_view(label) == skipped) continue;
    *at++ = '\0';
    copy(label);
    *at++ = '\0';
    copy(value);
  }
  key.resize(static_cast<std::size_t>(at - key.data()));
}

// The labels as strings, without those called `skip` (empty: none).
template <typename Labels>
LabelPairs copy_labels(const Labels &labels, std::string_view skip = {}) {
  LabelPairs kept;
  kept.reserve(labels.size());
  for (const auto &[name, value] : labels) {
    if (skip.empty() || std::string_view(name) != skip) kept.emplace_back(name, value);
  }
  return kept;
}

using Op = SampleRecipe::Op;

// Samples keyed by (name, labels), remembering first-insertion order like a Python dict
// (sample_table.h: a hit costs a hash, a new sample no allocation of its own). When recording,
// each sample also gets its recipe, in step with what is done to its value.
class OrderedSamples {
 public:
  explicit OrderedSamples(bool record) : record_(record) {}

  // The index of sample (name, labels without `skip`), made with `initial` when new.
  template <typename Labels>
  std::size_t at(std::string_view name, const Labels &labels, double initial,
                 const char *skip = nullptr) {
    const std::size_t before = table_.size();
    const std::size_t i =
        table_.at(name, labels, initial, skip != nullptr ? std::string_view(skip) : std::string_view());
    if (record_ && table_.size() != before) recipes_.emplace_back();
    return i;
  }
  // Appends a sample the caller knows to be new (no earlier one has its name); never looked up.
  template <typename Labels>
  std::size_t append_new(const std::string &name, const Labels &labels, double value) {
    const std::size_t i = table_.append_new(name, labels, value);
    if (record_) recipes_.emplace_back();
    return i;
  }
  // Appends sample `model` with the value of its label number `label` replaced (likewise new).
  std::size_t append_variant(std::size_t model, std::size_t label, std::string_view text,
                             double value) {
    const std::size_t i = table_.append_variant(model, label, text, value);
    if (record_) recipes_.emplace_back();
    return i;
  }
  bool has_name(const std::string &name) const { return table_.has_name(name); }
  double &value(std::size_t index) { return table_.value(index); }
  // Room for `more` recipes: a histogram's buckets are made all at once at the end.
  void reserve(std::size_t more) {
    table_.reserve(more);
    if (record_) recipes_.reserve(recipes_.size() + more);
  }

  // Recording: `input` went into sample `index` by `op` (the sample's op is the last one used:
  // in every caller a sample is combined one way).
  void note(std::size_t index, Op op, std::uint32_t input) {
    if (!record_) return;
    SampleRecipe &recipe = recipes_[index];
    recipe.op = op;
    recipe.inputs.push_back(input);
  }
  // Recording: sample `index` was assigned a value made from other samples and `inputs`; what
  // was recorded for it before no longer counts.
  void note_assigned(std::size_t index, Op op, std::uint32_t ref,
                     std::vector<std::uint32_t> inputs,
                     std::uint32_t made_by = SampleRecipe::kNone) {
    if (!record_) return;
    recipes_[index] = SampleRecipe{op, std::move(inputs), ref, made_by};
  }

  const SampleTable &table() const { return table_; }
  std::vector<Sample> release() {
    std::vector<Sample> samples;
    samples.reserve(table_.size());
    for (std::size_t i = 0; i < table_.size(); ++i) samples.push_back(table_.to_sample(i));
    return samples;
  }
  std::vector<SampleRecipe> release_recipes() { return std::move(recipes_); }

 private:
  bool record_;
  SampleTable table_;
  std::vector<SampleRecipe> recipes_;
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
  std::uint32_t input;
};

void accumulate_gauge(const std::vector<GaugeSample> &samples, const std::string &last_mode,
                      OrderedSamples &out, std::vector<HiddenSeries> *hidden) {
  const GaugeMode mode = gauge_mode(last_mode);
  struct Stamp {
    double newest = 0;
    std::size_t sample = SampleRecipe::kNone;  // none while no timestamp was newer than 0
    std::uint32_t made_by = SampleRecipe::kNone;
    std::vector<std::uint32_t> inputs;         // recording only
  };
  std::unordered_map<std::string, Stamp> stamps;  // mostrecent, by identity (first-seen order
  std::vector<Stamp *> stamp_order;               // kept for the hidden list)
  std::string key;
  for (const GaugeSample &s : samples) {
    switch (mode) {
      case GaugeMode::kMin: {
        const std::size_t i = out.at(s.name, s.labels, s.value, "pid");
        if (s.value < out.value(i)) out.value(i) = s.value;
        out.note(i, Op::kMin, s.input);
        break;
      }
      case GaugeMode::kMax: {
        const std::size_t i = out.at(s.name, s.labels, s.value, "pid");
        if (s.value > out.value(i)) out.value(i) = s.value;
        out.note(i, Op::kMax, s.input);
        break;
      }
      case GaugeMode::kSum: {
        const std::size_t i = out.at(s.name, s.labels, 0.0, "pid");
        out.value(i) += s.value;
        out.note(i, Op::kSum, s.input);
        break;
      }
      case GaugeMode::kMostRecent: {
        // The largest timestamp wins; a timestamp of 0 (never set) is never shown, so a series
        // is made only when a sample newer than 0 arrives.
        append_identity(key, s.name, s.labels, "pid");
        const auto [it, inserted] = stamps.try_emplace(key);
        Stamp &stamp = it->second;
        if (inserted && hidden != nullptr) stamp_order.push_back(&stamp);
        if (hidden != nullptr) stamp.inputs.push_back(s.input);
        if (stamp.newest < s.timestamp) {
          if (stamp.sample == SampleRecipe::kNone) stamp.made_by = s.input;
          stamp.sample = out.at(s.name, s.labels, s.value, "pid");
          out.value(stamp.sample) = s.value;
          stamp.newest = s.timestamp;
        }
        break;
      }
      case GaugeMode::kAll: {
        const std::size_t i = out.at(s.name, s.labels, s.value);
        out.value(i) = s.value;
        out.note(i, Op::kLast, s.input);
        break;
      }
    }
  }
  if (hidden == nullptr) return;
  for (Stamp *stamp : stamp_order) {
    if (stamp->sample == SampleRecipe::kNone) {
      hidden->push_back(HiddenSeries{std::move(stamp->inputs)});
    } else {
      out.note_assigned(stamp->sample, Op::kMostRecent, SampleRecipe::kNone,
                        std::move(stamp->inputs), stamp->made_by);
    }
  }
}

// One label set of a histogram: its labels without `le`, and bound -> summed count.
struct BucketSet {
  struct Bucket {
    double bound;
    double count;
  };
  LabelPairs labels;
  std::vector<Bucket> counts;  // sorted by bound; a dozen bounds
  // Recording only: per bucket (the same index), the inputs that went into it. Apart, so that a
  // dump's buckets are two doubles each.
  std::vector<std::vector<std::uint32_t>> inputs;

  // `no_nan`: no bound of the family is NaN (then lower_bound would find the end for a bound
  // above the last).
  void add(double bound, double count, std::uint32_t input, bool record, bool no_nan) {
    // A file lists a set's buckets by rising bound: most land after the last one.
    auto it = counts.end();
    if (!no_nan || counts.empty() || !(counts.back().bound < bound)) {
      it = std::lower_bound(counts.begin(), counts.end(), bound,
                            [](const Bucket &entry, double b) { return entry.bound < b; });
    }
    if (it == counts.end() || it->bound != bound) {
      if (record) inputs.emplace(inputs.begin() + (it - counts.begin()));
      it = counts.insert(it, Bucket{bound, 0});
    }
    it->count += count;
    if (record) inputs[static_cast<std::size_t>(it - counts.begin())].push_back(input);
  }
};

// The buckets of a histogram family as they come, made cumulative at the end.
class HistogramBuckets {
 public:
  // False when the sample has no `le` (a _sum, or a _count a writer stored).
  template <typename Labels>
  bool add(const std::string &family, const Labels &labels, double value, std::uint32_t input,
           bool record, std::vector<std::string> &errors) {
    const auto le = std::find_if(labels.begin(), labels.end(),
                                 [](const auto &label) { return label.first.size() == 2 &&
                                                                label.first[0] == 'l' &&
                                                                label.first[1] == 'e'; });
    if (le == labels.end()) return false;
    // The label sets of a family have the same bounds, listed in the same order: the bound
    // after the previous bucket's is tried first, by comparing its text, before a lookup.
    const std::string_view text(le->second);
    const std::size_t next = last_le_ + 1;  // 0 after none
    if (next < les_.size() && les_[next].first == text) {
      last_le_ = next;
    } else {
      le_.assign(text.data(), text.size());
      auto parsed = bounds_.find(le_);
      if (parsed == bounds_.end()) {
        double bound = 0;
        if (!parse_python_float(le_, &bound)) {
          errors.push_back(family + ": bucket with unparsable le=\"" + le_ + "\" skipped");
          return true;
        }
        parsed = bounds_.emplace(le_, les_.size()).first;
        les_.emplace_back(le_, bound);
        if (std::isnan(bound)) has_nan_ = true;
      }
      last_le_ = parsed->second;
    }
    const double bound = les_[last_le_].second;
    // The label set without le (the sample name is the same for every bucket). A file lists
    // a label set's buckets one after another: the previous bucket's set is tried first, by
    // comparing labels, before an identity is built and hashed.
    if (last_set_ >= sets_.size() || !same_but_le(labels, sets_[last_set_].labels)) {
      last_set_ = find_or_add_set(labels);
    }
    sets_[last_set_].add(bound, value, input, record, !has_nan_);
    return true;
  }

  // The index of the set of `labels` (without le), made when new. Sets are found by the hash of
  // their identity and told apart by their labels: no identity is kept per set.
  template <typename Labels>
  std::size_t find_or_add_set(const Labels &labels) {
    append_identity(key_, std::string_view(), labels, "le");
    const std::size_t hash = std::hash<std::string_view>{}(key_);
    if (2 * (sets_.size() + 1) > set_slots_.size()) grow_set_slots();
    const std::size_t mask = set_slots_.size() - 1;
    std::size_t at = hash & mask;
    for (; set_slots_[at] != 0; at = (at + 1) & mask) {
      const std::size_t set = set_slots_[at] - 1;
      if (set_hashes_[set] == hash && same_but_le(labels, sets_[set].labels)) return set;
    }
    set_slots_[at] = static_cast<std::uint32_t>(sets_.size() + 1);
    set_hashes_.push_back(hash);
    sets_.push_back(BucketSet{copy_labels(labels, "le"), {}, {}});
    // As many buckets as the set before (the same bounds, mostly): no growing one by one.
    if (sets_.size() > 1) sets_.back().counts.reserve(sets_[sets_.size() - 2].counts.size());
    return sets_.size() - 1;
  }

  // At most half full: probes stay short.
  void grow_set_slots() {
    set_slots_.assign(set_slots_.empty() ? 16 : 2 * set_slots_.size(), 0);
    const std::size_t mask = set_slots_.size() - 1;
    for (std::size_t set = 0; set < sets_.size(); ++set) {
      std::size_t at = set_hashes_[set] & mask;
      while (set_slots_[at] != 0) at = (at + 1) & mask;
      set_slots_[at] = static_cast<std::uint32_t>(set + 1);
    }
  }

  // Whether `labels` without its le are `set` (sorted both: compared in order).
  template <typename Labels>
  static bool same_but_le(const Labels &labels, const LabelPairs &set) {
    std::size_t j = 0;
    for (const auto &[name, value] : labels) {
      if (std::string_view(name) == "le") continue;
      if (j == set.size() || std::string_view(name) != set[j].first ||
          std::string_view(value) != set[j].second) {
        return false;
      }
      ++j;
    }
    return j == set.size();
  }

  // The buckets left in their sets for the exposition to write (exposition_lines.h), when
  // finish would only append them to `out`: no NaN bound, no stored sample named like a bucket
  // or a count, every set's labels sorted. False (and `streamed` to be ignored) otherwise.
  bool stream(const std::string &family, const OrderedSamples &out,
              StreamedBuckets &streamed) const {
    streamed.bucket_name = family + "_bucket";
    streamed.count_name = family + "_count";
    if (has_nan_ || out.has_name(streamed.bucket_name) || out.has_name(streamed.count_name)) {
      return false;
    }
    std::size_t buckets = 0;
    for (const BucketSet &set : sets_) {
      if (!std::is_sorted(set.labels.begin(), set.labels.end())) return false;
      buckets += set.counts.size();
    }
    streamed.sets.reserve(sets_.size());
    streamed.cumulative.reserve(buckets);
    LeTexts le_texts;
    for (const BucketSet &set : sets_) {
      if (le_texts.take(set)) {
        std::vector<std::string> &texts = streamed.le_texts.emplace_back();
        for (const std::string *text : le_texts.texts()) texts.push_back(*text);
      }
      streamed.sets.push_back(StreamedBuckets::Set{
          &set.labels, static_cast<std::uint32_t>(le_position(set.labels)),
          static_cast<std::uint32_t>(streamed.le_texts.size() - 1),
          static_cast<std::uint32_t>(streamed.cumulative.size())});
      double cumulative = 0;
      for (const BucketSet::Bucket &bucket : set.counts) {
        cumulative += bucket.count;
        streamed.cumulative.push_back(cumulative);
      }
    }
    return true;
  }

  // The `le` texts of each set's bounds, for the sets taken in order. The label sets of a family
  // mostly have the same bounds: the texts of the set before are taken again when its bounds
  // are this set's (no lookup per bucket), and each bound is formatted once per family.
  class LeTexts {
   public:
    // True when the texts() are new: `set`'s bounds are not those of the set taken before.
    bool take(const BucketSet &set) {
      if (of_ != nullptr && same_bounds(*of_, set)) return false;
      texts_.clear();
      for (const BucketSet::Bucket &bucket : set.counts) {
        auto text = by_bound_.find(bucket.bound);
        if (text == by_bound_.end()) {
          text = by_bound_.emplace(bucket.bound, float_to_go_string(bucket.bound)).first;
        }
        texts_.push_back(&text->second);  // stable: the map's nodes do not move
      }
      of_ = &set;
      return true;
    }
    // Per bucket of the set last taken.
    const std::vector<const std::string *> &texts() const { return texts_; }

   private:
    static bool same_bounds(const BucketSet &a, const BucketSet &b) {
      return a.counts.size() == b.counts.size() &&
             std::equal(a.counts.begin(), a.counts.end(), b.counts.begin(),
                        [](const auto &x, const auto &y) { return x.bound == y.bound; });
    }
    std::unordered_map<double, std::string> by_bound_;
    std::vector<const std::string *> texts_;
    const BucketSet *of_ = nullptr;
  };

  // Where `le` goes among a set's sorted labels (none of them "le"): before the first after it.
  template <typename Labels>
  static std::size_t le_position(const Labels &labels) {
    return static_cast<std::size_t>(
        std::find_if(labels.begin(), labels.end(),
                     [](const auto &label) { return label.first > "le"; }) -
        labels.begin());
  }

  void finish(const std::string &family, OrderedSamples &out) const {
    const std::string bucket_name = family + "_bucket";
    const std::string count_name = family + "_count";
    // Every (label set, bound) is one bucket sample: they need no lookup unless a stored sample
    // already has the bucket name (only a hand-made file does) or a NaN bound repeats itself.
    const bool unique = !has_nan_ && !out.has_name(bucket_name);
    // Likewise every label set is one _count sample, unless a writer stored _count samples.
    const bool unique_counts = !out.has_name(count_name);
    std::size_t made = 0;
    for (const BucketSet &set : sets_) made += set.counts.size() + 1;  // the buckets, _count
    out.reserve(made);
    LeTexts le_texts;
    for (const BucketSet &set : sets_) {
      le_texts.take(set);
      const std::vector<const std::string *> &texts = le_texts.texts();
      // Views: a bucket's labels are copied once, into the table.
      LabelViews with_le(set.labels.begin(), set.labels.end());
      const std::size_t le = le_position(set.labels);
      with_le.emplace(with_le.begin() + static_cast<std::ptrdiff_t>(le), "le",
                      std::string_view());
      double cumulative = 0;
      std::uint32_t previous = SampleRecipe::kNone;
      for (std::size_t b = 0; b < set.counts.size(); ++b) {
        const BucketSet::Bucket &bucket = set.counts[b];
        cumulative += bucket.count;
        with_le[le].second = *texts[b];
        // Past the first, a new bucket is the one before with another le.
        const std::size_t i = !unique ? out.at(bucket_name, with_le, 0.0)
                              : b == 0 ? out.append_new(bucket_name, with_le, cumulative)
                                       : out.append_variant(previous, le, *texts[b], cumulative);
        out.value(i) = cumulative;
        out.note_assigned(i, Op::kCumulative, previous,
                          set.inputs.empty() ? std::vector<std::uint32_t>() : set.inputs[b]);
        previous = static_cast<std::uint32_t>(i);
      }
      const std::size_t count = unique_counts ? out.append_new(count_name, set.labels, cumulative)
                                              : out.at(count_name, set.labels, 0.0);
      out.value(count) = cumulative;
      out.note_assigned(count, previous == SampleRecipe::kNone ? Op::kSum : Op::kCopy, previous, {});
    }
  }

 private:
  std::vector<BucketSet> sets_;  // first-seen order
  std::vector<std::uint32_t> set_slots_;  // open addressing: set + 1, 0 empty; a power of two
  std::vector<std::size_t> set_hashes_;   // per set: the hash of its identity
  std::vector<std::pair<std::string, double>> les_;  // le text, bound: a dozen per family
  std::unordered_map<std::string, std::size_t> bounds_;  // le text -> its index in les_
  std::size_t last_le_ = ~std::size_t{0};  // the le of the previous bucket
  std::string key_;
  std::string le_;  // the le text of the bucket being added
  std::size_t last_set_ = ~std::size_t{0};  // the set of the previous bucket
  bool has_nan_ = false;
};

}  // namespace

struct FamilyAccumulator::State {
  explicit State(bool record_inputs) : record(record_inputs), out(record_inputs) {}
  bool record;
  std::string name, help, type;
  bool gauge = false, histogram = false;  // the type, compared once per family, not per entry
  OrderedSamples out;             // counters, summaries, histogram sums, in first-seen order
  HistogramBuckets buckets;       // histograms
  StreamedBuckets streamed;       // a dump's histogram: its buckets, left in their sets
  std::vector<GaugeSample> gauges;
  std::string gauge_mode;         // of the last gauge file read, as in Python
  std::vector<std::string> errors;
};

FamilyAccumulator::FamilyAccumulator(std::string name, std::string help, std::string type,
                                     bool record)
    : state_(std::make_unique<State>(record)) {
  state_->name = std::move(name);
  state_->help = std::move(help);
  state_->type = std::move(type);
  state_->gauge = state_->type == "gauge";
  state_->histogram = state_->type == "histogram";
}
FamilyAccumulator::~FamilyAccumulator() = default;
FamilyAccumulator::FamilyAccumulator(FamilyAccumulator &&) noexcept = default;
FamilyAccumulator &FamilyAccumulator::operator=(FamilyAccumulator &&) noexcept = default;

void FamilyAccumulator::add(std::string_view sample_name, const LabelViews &labels,
                            double value, std::uint32_t input) {
  State &s = *state_;
  if (s.gauge) {  // a counter file's entry in a family a gauge file made first
    s.gauges.push_back(GaugeSample{std::string(sample_name), copy_labels(labels), value, 0, input});
    return;
  }
  if (s.histogram && s.buckets.add(s.name, labels, value, input, s.record, s.errors)) {
    return;
  }
  const std::size_t i = s.out.at(sample_name, labels, 0.0);
  s.out.value(i) += value;
  s.out.note(i, Op::kSum, input);
}

void FamilyAccumulator::add_gauge(const std::string &mode, const std::string &pid,
                                  std::string_view sample_name, const LabelViews &labels,
                                  double value, double timestamp, std::uint32_t input) {
  State &s = *state_;
  s.gauge_mode = mode;
  if (!s.gauge) {
    // A gauge file's entry in a family another type made first: combined as that type, pid
    // label included (what Python does with it).
    LabelPairs with_pid = copy_labels(labels);
    with_pid.emplace_back("pid", pid);
    std::sort(with_pid.begin(), with_pid.end());
    if (s.histogram &&
        s.buckets.add(s.name, with_pid, value, input, s.record, s.errors)) {
      return;
    }
    const std::size_t i = s.out.at(sample_name, with_pid, 0.0);
    s.out.value(i) += value;
    s.out.note(i, Op::kSum, input);
    return;
  }
  GaugeSample sample{std::string(sample_name), copy_labels(labels), value, timestamp, input};
  sample.labels.emplace_back("pid", pid);
  std::sort(sample.labels.begin(), sample.labels.end());
  s.gauges.push_back(std::move(sample));
}

void FamilyAccumulator::combine(std::vector<std::string> &errors,
                                std::vector<HiddenSeries> *hidden) {
  State &s = *state_;
  if (s.type == "gauge") {
    std::vector<HiddenSeries> unwanted;
    accumulate_gauge(s.gauges, s.gauge_mode, s.out,
                     s.record ? (hidden != nullptr ? hidden : &unwanted) : nullptr);
  } else if (s.type == "histogram") {
    s.buckets.finish(s.name, s.out);
  }
  errors.insert(errors.end(), s.errors.begin(), s.errors.end());
}

CollectedFamily FamilyAccumulator::finish(std::vector<std::string> &errors,
                                          std::vector<SampleRecipe> *recipes,
                                          std::vector<HiddenSeries> *hidden) {
  combine(errors, hidden);
  State &s = *state_;
  if (recipes != nullptr) *recipes = s.out.release_recipes();
  return CollectedFamily{s.name, s.help, s.type, s.out.release()};
}

TableFamily FamilyAccumulator::finish_table(std::vector<std::string> &errors) {
  State &s = *state_;
  if (s.type == "histogram" && s.buckets.stream(s.name, s.out, s.streamed)) {
    errors.insert(errors.end(), s.errors.begin(), s.errors.end());
    return TableFamily{s.name, s.help, s.type, &s.out.table(), &s.streamed};
  }
  s.streamed = StreamedBuckets{};
  combine(errors, nullptr);
  return TableFamily{s.name, s.help, s.type, &s.out.table()};
}

}  // namespace npuprobe::store
