// A plan made by a recorded full collection (collection_record.h) and replayed on values only.
// A replay gives up, and a full collection makes a new plan, at the first difference that could
// change anything but values: the file list, a file's size or key bytes (a mapped file's in
// its turn, read_mapped), a rejected file's bytes, a mostrecent series that appears or
// disappears.
#include "npuprobe/store/steady_collection.h"

#include <cstring>

#include "collection_record.h"
#include "exposition_lines.h"
#include "sigbus_guard.h"
#include "steady_reread.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/python_float.h"
#include "npuprobe/store/text_exposition.h"

namespace npuprobe::store {
namespace {

using Op = SampleRecipe::Op;

// What a plan may keep (the files' bytes, the sample prefixes): the exposer plugin runs inside
// the served process, so a folder of huge files must not double its memory. Past this, every
// scrape is a plain full collection, as before plans existed.
constexpr std::size_t kMaxPlanBytes = std::size_t{64} << 20;

constexpr std::string_view kOpenMetricsEnd = "# EOF\n";

double load_double(const char *bytes, std::size_t at) {
  double value;
  std::memcpy(&value, bytes + at, sizeof value);
  return value;
}

}  // namespace

struct SteadyCollection::Plan {
  explicit Plan(std::size_t max_held_files) : reread(max_held_files) {}
  CollectionRecord record;
  std::vector<std::string> paths;
  std::vector<std::string> errors;
  struct Family {
    std::string text_header, openmetrics_header;
    std::size_t first = 0, count = 0;
  };
  std::vector<Family> families;
  // Per sample, `name{labels} `: all of them in one string, sample i's ending at
  // prefix_ends[i] (one block to copy from, not a string per sample).
  std::string prefix_text;
  std::vector<std::uint32_t> prefix_ends;
  // The bytes of an answer but its values: headers and prefixes (and "# EOF").
  std::size_t fixed_text = 0, fixed_openmetrics = 0;
  std::vector<SampleRecipe> recipes;  // per sample, refs across the whole folder (until flatten)
  std::vector<std::uint32_t> order;   // every ref before the sample that uses it (until flatten)
  std::vector<double> inputs, stamps, values;
  std::string bytes;     // a file being compared, read the general way
  SteadyReread reread;   // a file being compared, read in one go (kept open, up to a limit)
  std::vector<ino_t> inodes;  // of the files listed by the scrape being made
  std::size_t scrapes = 0;    // replays tried: whose turn it is to have its keys compared
  bool replayable = true;

  enum class Built { kReplayable, kNotReplayable, kTooBig };
  // Builds the plan from a recorded collection.
  Built build(const FolderContents &contents) {
    errors = contents.errors;
    if (record.unreadable || record.recipes.size() != contents.families.size()) {
      return Built::kNotReplayable;
    }
    for (std::size_t f = 0; f < contents.families.size(); ++f) {
      const CollectedFamily &family = contents.families[f];
      Family made;
      append_family_header(made.text_header, family, false);
      append_family_header(made.openmetrics_header, family, true);
      made.first = prefix_ends.size();
      made.count = family.samples.size();
      if (record.recipes[f].size() != family.samples.size()) return Built::kNotReplayable;
      for (std::size_t i = 0; i < family.samples.size(); ++i) {
        append_sample_prefix(prefix_text, family.samples[i]);
        if (prefix_text.size() > kMaxPlanBytes) return Built::kTooBig;
        prefix_ends.push_back(static_cast<std::uint32_t>(prefix_text.size()));
        values.push_back(family.samples[i].value);
        SampleRecipe recipe = std::move(record.recipes[f][i]);
        if (recipe.ref != SampleRecipe::kNone) {
          recipe.ref += static_cast<std::uint32_t>(made.first);
        }
        recipes.push_back(std::move(recipe));
      }
      families.push_back(std::move(made));
    }
    record.recipes.clear();
    std::size_t kept = 0;
    for (const RecordedFile &file : record.files) kept += file.bytes.size();
    fixed_text += prefix_text.size();
    kept += fixed_text;
    fixed_openmetrics = fixed_text + kOpenMetricsEnd.size();
    for (const Family &family : families) {
      fixed_text += family.text_header.size();
      fixed_openmetrics += family.openmetrics_header.size();
    }
    if (kept > kMaxPlanBytes) return Built::kTooBig;
    inputs.resize(record.inputs);
    stamps.resize(record.inputs);
    if (!order_recipes()) return Built::kNotReplayable;
    flatten();
    return Built::kReplayable;
  }

  // The recipes in `order`, their inputs in one array: a scrape walks them front to back
  // instead of chasing a vector per sample.
  struct Step {
    std::uint32_t sample;
    Op op;
    std::uint32_t ref, made_by;
    std::uint32_t first, count;  // its inputs: step_inputs[first, first + count)
  };
  std::vector<Step> steps;
  std::vector<std::uint32_t> step_inputs;

  void flatten() {
    steps.reserve(order.size());
    for (const std::uint32_t i : order) {
      const SampleRecipe &r = recipes[i];
      steps.push_back(Step{i, r.op, r.ref, r.made_by,
                           static_cast<std::uint32_t>(step_inputs.size()),
                           static_cast<std::uint32_t>(r.inputs.size())});
      step_inputs.insert(step_inputs.end(), r.inputs.begin(), r.inputs.end());
    }
    recipes = {};
    order = {};
  }

  // Refs form chains (a bucket on the one below it, _count on the top one): each is walked
  // once; a ref that leads back to itself (a hand-made file) makes the plan unreplayable.
  bool order_recipes() {
    enum : std::uint8_t { kTodo, kWalking, kDone };
    std::vector<std::uint8_t> state(recipes.size(), kTodo);
    std::vector<std::uint32_t> chain;
    for (std::uint32_t i = 0; i < recipes.size(); ++i) {
      chain.clear();
      std::uint32_t at = i;
      while (at != SampleRecipe::kNone && state[at] == kTodo) {
        state[at] = kWalking;
        chain.push_back(at);
        at = recipes[at].ref;
        if (at != SampleRecipe::kNone && at >= recipes.size()) return false;
      }
      if (at != SampleRecipe::kNone && state[at] == kWalking) return false;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        state[*it] = kDone;
        order.push_back(*it);
      }
    }
    return true;
  }

  // Reads the values of every file into inputs/stamps. False at the first difference.
  bool read_values(const std::string &directory) {
    std::vector<std::string> now;
    if (!list_db_files(directory, &now, &inodes) || now != paths) return false;
    // A mapped file's keys are compared in turn, one file per scrape (see read_mapped).
    const std::size_t keys_turn = record.files.empty() ? 0 : scrapes++ % record.files.size();
    for (std::size_t f = 0; f < record.files.size(); ++f) {
      const RecordedFile &file = record.files[f];
      if (file.name_only) continue;
      // record.files and paths are the same list, in the same order.
      if (file.accepted) {
        if (const char *map = reread.mapped(f, file.path, inodes[f], file.bytes)) {
          if (read_mapped(file, map, f == keys_turn)) continue;
          reread.forget(f);  // shrunk under the mapping, or changed: a full read decides
          return false;
        }
      }
      std::string_view current = reread.read(f, file.path, inodes[f], file.bytes);
      if (current.empty()) {
        // Only a recording shorter than a header is read the general way (a rejected file:
        // it must stay byte for byte); any other file has changed shape.
        if (file.bytes.size() >= kDbHeaderSize) return false;
        if (!read_db_file_bytes(file.path, bytes, nullptr)) return false;
        current = bytes;
      }
      if (!file.accepted) {
        if (current != file.bytes) return false;
        continue;
      }
      if (!keys_unchanged(file, current.data())) return false;
      load_values(file, current.data());
    }
    for (const HiddenSeries &series : record.hidden) {
      for (const std::uint32_t input : series.inputs) {
        if (stamps[input] > 0) return false;  // a series newer than 0 is shown now
      }
    }
    return true;
  }

  // Each entry's bytes before its value (its length and key) as recorded.
  static bool keys_unchanged(const RecordedFile &file, const char *current) {
    for (std::size_t e = 0; e < file.starts.size(); ++e) {
      const std::size_t start = file.starts[e];
      if (std::memcmp(current + start, file.bytes.data() + start, file.value_ats[e] - start) !=
          0) {
        return false;
      }
    }
    return true;
  }

  void load_values(const RecordedFile &file, const char *current) {
    for (std::size_t e = 0; e < file.starts.size(); ++e) {
      const std::size_t at = file.value_ats[e];
      inputs[file.first_input + e] = load_double(current, at);
      stamps[file.first_input + e] = file.timestamps ? load_double(current, at + 8) : 0;
    }
  }

  // A mapped file: its `used` must be the recorded one (a file that grew entries is read in
  // full again), and its values are loaded where they lie. Its keys are compared only in its
  // turn: neither prometheus_client nor npuprobe's writer ever writes a key where one was
  // (they append, and npuprobe replaces a file by renaming a new one over it: another inode),
  // so a steady scrape costs what its values cost, and a file some other writer rewrote in
  // place, at the same length, is still noticed within as many scrapes as there are files.
  bool read_mapped(const RecordedFile &file, const char *map, bool compare_keys) {
    return read_guarded([&] {
      if (std::memcmp(map, file.bytes.data(), 4) != 0) return false;
      if (compare_keys && !keys_unchanged(file, map)) return false;
      load_values(file, map);
      return true;
    });
  }

  // The values from the inputs, each combined exactly as the collection combines them (same
  // order of additions and comparisons: same doubles). False: a shown series is gone.
  bool combine() {
    for (const Step &r : steps) {
      const std::uint32_t *in = step_inputs.data() + r.first;
      const std::uint32_t *const end = in + r.count;
      double v = 0;
      switch (r.op) {
        case Op::kSum:
          for (; in != end; ++in) v += inputs[*in];
          break;
        case Op::kMin:
        case Op::kMax:
          if (in == end) return false;
          v = inputs[*in];
          for (; in != end; ++in) {
            const double x = inputs[*in];
            if (r.op == Op::kMin ? x < v : x > v) v = x;
          }
          break;
        case Op::kLast:
          if (in == end) return false;
          v = inputs[end[-1]];
          break;
        case Op::kMostRecent: {
          double newest = 0;
          std::uint32_t made_by = SampleRecipe::kNone;
          for (; in != end; ++in) {
            if (newest < stamps[*in]) {
              if (made_by == SampleRecipe::kNone) made_by = *in;
              v = inputs[*in];
              newest = stamps[*in];
            }
          }
          // Gone, or made by another input: listed elsewhere (a full read places it).
          if (made_by != r.made_by) return false;
          break;
        }
        case Op::kCumulative: {
          double count = 0;
          for (; in != end; ++in) count += inputs[*in];
          v = (r.ref == SampleRecipe::kNone ? 0.0 : values[r.ref]) + count;
          break;
        }
        case Op::kCopy:
          v = values[r.ref];
          break;
      }
      values[r.sample] = v;
    }
    return true;
  }

  // Written into one buffer sized for the longest values: one copy per prefix, no append's
  // checks per piece.
  std::string render(bool openmetrics) const {
    std::string out;
    out.resize((openmetrics ? fixed_openmetrics : fixed_text) + values.size() * (kMaxGoFloatChars + 1));
    char *at = &out[0];
    const auto copy = [&at](std::string_view text) {
      if (!text.empty()) std::memcpy(at, text.data(), text.size());  // may have no data
      at += text.size();
    };
    for (const Family &family : families) {
      copy(openmetrics ? family.openmetrics_header : family.text_header);
      for (std::size_t i = family.first; i < family.first + family.count; ++i) {
        const std::uint32_t begin = i == 0 ? 0 : prefix_ends[i - 1];
        copy(std::string_view(prefix_text).substr(begin, prefix_ends[i] - begin));
        at = write_float_to_go_string(at, values[i]);
        *at++ = '\n';
      }
    }
    if (openmetrics) copy(kOpenMetricsEnd);
    out.resize(static_cast<std::size_t>(at - out.data()));
    return out;
  }
};

namespace {

// The answer of a full read: the exposition of what it collected, and its errors.
SteadyCollection::Scrape full_read_answer(const FolderContents &contents, bool openmetrics) {
  SteadyCollection::Scrape answer;
  answer.body = openmetrics ? format_openmetrics_exposition(contents.families)
                            : format_text_exposition(contents.families);
  answer.errors = contents.errors;
  return answer;
}

}  // namespace

SteadyCollection::SteadyCollection(std::string directory, FormatPreference format,
                                   std::size_t max_held_files)
    : directory_(std::move(directory)), format_(format), max_held_files_(max_held_files) {}

SteadyCollection::~SteadyCollection() = default;

SteadyCollection::Scrape SteadyCollection::scrape(bool openmetrics) {
  if (too_big_) {  // a plain full collection, recording nothing
    return full_read_answer(collect_folder(directory_, format_), openmetrics);
  }
  Scrape result;
  if (plan_ != nullptr && plan_->replayable && plan_->read_values(directory_) &&
      plan_->combine()) {
    result.body = plan_->render(openmetrics);
    result.errors = plan_->errors;
    result.values_only = true;
    return result;
  }
  auto plan = std::make_unique<Plan>(max_held_files_);
  const FolderContents contents = collect_folder_recorded(directory_, format_, &plan->record);
  result = full_read_answer(contents, openmetrics);
  for (const RecordedFile &file : plan->record.files) plan->paths.push_back(file.path);
  const Plan::Built built = plan->build(contents);
  if (built == Plan::Built::kTooBig) {
    too_big_ = true;
    plan_.reset();
    return result;
  }
  plan->replayable = built == Plan::Built::kReplayable;
  plan_ = std::move(plan);
  return result;
}

}  // namespace npuprobe::store
