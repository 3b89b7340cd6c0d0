#include "npuprobe/store/store_writer.h"

#include <unistd.h>

#include <cmath>

#include "earlier_counts.h"
#include "npuprobe/store/json_key.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/python_float.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;
namespace {

LabelPairs labels_of(const FamilyInfo &family, const SeriesInfo &series,
                     const LabelPairs &constant_labels, const ShownLabels &shown) {
  LabelPairs labels = constant_labels;
  for (std::size_t i = 0; i < family.label_names.size(); ++i) {
    const std::string &name = family.label_names[i];
    const std::string &value = series.label_values[i];
    if (auto fixed = shown.replace.find(name); fixed != shown.replace.end()) {
      labels.emplace_back(name, fixed->second);
      continue;
    }
    if (auto table = shown.rename.find(name); table != shown.rename.end()) {
      if (auto to = table->second.find(value); to != table->second.end()) {
        labels.emplace_back(name, to->second);
        continue;
      }
    }
    labels.emplace_back(name, value);
  }
  return labels;
}

}  // namespace

StoreWriter::StoreWriter(StoreWriterOptions options) : options_(std::move(options)) {
  format_ = options_.format == FormatPreference::kV1 ? StoreFormat::kV1 : StoreFormat::kV2;
}

StoreWriter::~StoreWriter() = default;

std::string StoreWriter::tag() const {
  return options_.process_tag.empty() ? std::to_string(::getpid()) + "-npu" : options_.process_tag;
}

std::vector<std::string> StoreWriter::file_paths() const {
  std::vector<std::string> paths;
  for (const auto &[name, file] : files_) paths.push_back(options_.directory + "/" + name);
  return paths;
}

void StoreWriter::choose_format() {
  const std::optional<StoreFormat> python = watcher_.scan(options_.directory);
  if (!python || *python == format_) return;
  if (options_.format != FormatPreference::kAuto) {
    // Told explicitly: obey, but say once that the folder's readers will fail on one side.
    if (!warned_format_conflict_) {
      log_message(LogLevel::kWarn,
                  "store folder %s: prometheus_client writes format %s there but "
                  "format %s was requested; one of the two will not be readable",
                  options_.directory.c_str(), std::string(to_string(*python)).c_str(),
                  std::string(to_string(format_)).c_str());
      warned_format_conflict_ = true;
    }
    return;
  }
  log_message(LogLevel::kInfo,
              "store folder %s: prometheus_client writes format %s there; "
              "rewriting npuprobe's files in %s",
              options_.directory.c_str(), std::string(to_string(*python)).c_str(),
              std::string(to_string(*python)).c_str());
  format_ = *python;
  relay_out();  // gauge file names may change with the format (kAuto modes)
}

// Files keeping their name are replaced by rename (no moment without them); the others go.
void StoreWriter::relay_out() {
  std::map<std::string, OwnFile> old_files = std::move(files_);
  files_.clear();
  for (const SeriesInfo &series : series_) lay_out_one(families_[series.family], series);
  add_carried_only_entries();
  for (auto &[name, file] : old_files) {
    if (!files_.count(name) && file.writer) file.writer->remove();
  }
}

void StoreWriter::set_shown_labels(ShownLabels shown) {
  // As long as the registry lets a label value be (a 100 kB VLLM_DP_RANK is cut there too).
  for (auto &[name, value] : shown.replace) cut_label_value(value);
  for (auto &[name, table] : shown.rename) {
    for (auto &[from, to] : table) cut_label_value(to);
  }
  if (shown == shown_) return;
  shown_ = std::move(shown);
  relay_out();
}

void StoreWriter::set_directory(std::string directory) {
  if (directory == options_.directory) return;
  for (auto &[name, file] : files_) {
    if (file.writer) file.writer->remove();
  }
  files_.clear();
  options_.directory = std::move(directory);
  format_ = options_.format == FormatPreference::kV1 ? StoreFormat::kV1 : StoreFormat::kV2;
  watcher_ = PythonFormatWatcher();
  warned_format_conflict_ = false;
  claimed_.clear();  // names of the old folder: the new one may hold files of an earlier pid
  carried_.clear();
  relay_out();
}

void StoreWriter::add_entry(const std::string &kind, bool live, std::string key,
                            ValueSource source) {
  const std::string name = kind + "_" + tag() + ".db";
  OwnFile &file = files_[name];
  file.live = live;
  if (auto carried = carried_.find(name); carried != carried_.end()) {
    if (auto count = carried->second.find(key); count != carried->second.end())
      source.base = count->second;
  }
  file.keys.push_back(std::move(key));
  file.sources.push_back(source);
}

void StoreWriter::add_carried_only_entries() {
  for (const auto &[name, counts] : carried_) {
    OwnFile &file = files_[name];
    const std::set<std::string> ours(file.keys.begin(), file.keys.end());
    for (const auto &[key, count] : counts) {
      if (ours.count(key)) continue;
      file.keys.push_back(key);
      file.sources.push_back({ValueSource::Kind::kCarriedOnly, false, 0, count});
    }
  }
}

void StoreWriter::claim_name(const std::string &name, OwnFile &file) {
  if (!claimed_.insert(name).second) return;
  // note: pid reuse. prometheus_client continues a file its pid finds in the folder; replacing
  // it would make the folder's counter sums go down. Gauges are not carried: ours replace them.
  if (name.rfind("counter_", 0) != 0 && name.rfind("histogram_", 0) != 0) return;
  std::map<std::string, double> counts;
  if (!read_earlier_counts(options_.directory + "/" + name, counts) || counts.empty()) return;
  carried_[name] = counts;
  for (std::size_t i = 0; i < file.keys.size(); ++i) {
    if (auto count = counts.find(file.keys[i]); count != counts.end())
      file.sources[i].base = count->second;
  }
  add_carried_only_entries();
}

void StoreWriter::lay_out_one(const FamilyInfo &family, const SeriesInfo &series) {
  EntryKey key{family.name, family.name, labels_of(family, series, options_.constant_labels, shown_),
               family.help};
  if (family.type == MetricType::kCounter) {
    key.sample_name = family.name + "_total";
    add_entry("counter", false, encode_entry_key(key),
              {ValueSource::Kind::kCell, false, series.first});
  } else if (family.type == MetricType::kHistogram) {
    const auto bounds = static_cast<std::uint32_t>(family.bucket_bounds.size());
    key.sample_name = family.name + "_sum";
    add_entry("histogram", false, encode_entry_key(key),
              {ValueSource::Kind::kCell, false, series.first + bounds + 1});
    key.sample_name = family.name + "_bucket";
    const LabelPairs plain = key.labels;
    for (std::uint32_t i = 0; i <= bounds; ++i) {
      key.labels = plain;
      const double bound = i < bounds ? family.bucket_bounds[i] : HUGE_VAL;
      key.labels.emplace_back("le", float_to_go_string(bound));
      add_entry("histogram", false, encode_entry_key(key),
                {ValueSource::Kind::kCell, false, series.first + i});
    }
  } else {
    const GaugeMode mode = effective_gauge_mode(family.gauge_mode, format_);
    add_entry("gauge_" + std::string(to_string(mode)), is_live_gauge_mode(mode),
              encode_entry_key(key),
              {ValueSource::Kind::kGauge, is_most_recent_gauge_mode(mode), series.first});
  }
}

void StoreWriter::lay_out_series(const RegistrySnapshot &snapshot) {
  if (snapshot.fork_generation != fork_generation_) {
    // The registry was reset in a fork child: its series list starts over.
    forget_files_after_fork();
    fork_generation_ = snapshot.fork_generation;
  }
  families_.assign(snapshot.families.begin(), snapshot.families.end());
  for (std::size_t i = series_.size(); i < snapshot.series.size(); ++i) {
    series_.push_back(snapshot.series[i]);
    lay_out_one(families_[series_.back().family], series_.back());
  }
}

bool StoreWriter::sync_file(const std::string &name, OwnFile &file,
                            const RegistrySnapshot &snapshot, std::string *error) {
  const auto value_of = [&](const ValueSource &source) {
    switch (source.kind) {
      case ValueSource::Kind::kCell:
        return DbFileWriter::Entry{{}, source.base + snapshot.cell_totals[source.index], 0};
      case ValueSource::Kind::kGauge: {
        const GaugeReading &reading = snapshot.gauges[source.index];
        return DbFileWriter::Entry{{}, reading.value, source.stamped ? reading.timestamp : 0};
      }
      case ValueSource::Kind::kCarriedOnly:
        break;
    }
    return DbFileWriter::Entry{{}, source.base, 0};
  };
  if (file.writer && !file.writer->is_still_in_place()) {
    log_message(LogLevel::kWarn, "%s was removed or replaced by someone else; writing it anew",
                file.writer->path().c_str());
    file.writer.reset();
  }
  if (!file.writer) {
    claim_name(name, file);
    std::vector<DbFileWriter::Entry> entries;
    for (std::size_t i = 0; i < file.keys.size(); ++i) {
      DbFileWriter::Entry entry = value_of(file.sources[i]);
      entry.key = file.keys[i];
      entries.push_back(entry);
    }
    file.writer = DbFileWriter::create(options_.directory + "/" + name, format_, entries,
                                       file.offsets, error);
    return file.writer != nullptr;
  }
  for (std::size_t i = file.offsets.size(); i < file.keys.size(); ++i) {
    DbFileWriter::Entry entry = value_of(file.sources[i]);
    entry.key = file.keys[i];
    std::uint32_t offset = 0;
    if (!file.writer->append(entry, &offset, error)) return false;
    file.offsets.push_back(offset);
  }
  for (std::size_t i = 0; i < file.offsets.size(); ++i) {
    const DbFileWriter::Entry entry = value_of(file.sources[i]);
    file.writer->store(file.offsets[i], entry.value, entry.timestamp);
  }
  return true;
}

bool StoreWriter::write(const RegistrySnapshot &snapshot, std::string *error) {
  lay_out_series(snapshot);
  choose_format();
  bool ok = true;
  for (auto &[name, file] : files_) {
    std::string problem;
    if (!sync_file(name, file, snapshot, &problem) && ok) {
      ok = false;
      if (error) *error = problem;
    }
  }
  return ok;
}

void StoreWriter::remove_live_files() {
  for (auto &[name, file] : files_) {
    if (file.live && file.writer) {
      file.writer->remove();
      file.writer.reset();
    }
  }
}

void StoreWriter::forget_files_after_fork() {
  // The DbFileWriter destructors only unmap and close; the files stay the parent's.
  files_.clear();
  series_.clear();
  families_.clear();
  claimed_.clear();
  carried_.clear();
}

}  // namespace npuprobe::store
