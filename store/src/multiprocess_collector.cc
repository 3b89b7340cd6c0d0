#include "npuprobe/store/multiprocess_collector.h"

#include <dirent.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "accumulate_samples.h"
#include "dumps_key_reader.h"
#include "collection_record.h"
#include "exposition_lines.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/text_exposition.h"
#include "npuprobe/base/metric_name.h"

namespace npuprobe::store {
namespace {

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == separator)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

std::string base_name(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class FolderReader {
 public:
  FolderReader(FormatPreference format, CollectionRecord *record)
      : format_(format), record_(record) {}

  void read_file(const std::string &path) {
    const std::string base = base_name(path);
    const std::vector<std::string> parts = split(base, '_');
    const std::string &type = parts[0];
    RecordedFile *recorded = nullptr;
    if (record_ != nullptr) {
      // Rejected by its name alone until it is read: its content then never matters.
      record_->files.push_back(RecordedFile{path, {}, false, false, true, 0, {}, {}});
      recorded = &record_->files.back();
    }
    if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary") {
      return reject(path + ": not a prometheus_client file name (unknown type '" + type + "')");
    }
    if (type == "gauge" && parts.size() < 3) {
      return reject(path + ": gauge file name must be gauge_<mode>_<pid>.db");
    }
    if (recorded != nullptr) recorded->name_only = false;
    const bool read = read_entries(path);
    if (recorded != nullptr) recorded->bytes = bytes_;
    if (!read) return;
    // Decode every key first: a file is taken whole or not at all. The keys are views into
    // bytes_ (kept until the next file); keys_ keeps its label vectors from file to file.
    if (keys_.size() < entries_.size()) keys_.resize(entries_.size());
    dumps_keys_.forget();  // the last file's bytes are gone
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      std::string problem;
      if (!dumps_keys_.read(entries_[i].key, &keys_[i]) &&
          !decode_entry_key_view(entries_[i].key, &keys_[i], &problem)) {
        return reject(path + ": " + problem);
      }
      // A family's entries follow each other: its name is checked once per run of them.
      const bool same_name = i > 0 && keys_[i].metric_name == keys_[i - 1].metric_name;
      if (!same_name && !base::is_valid_metric_name(keys_[i].metric_name)) {
        return reject(path + ": invalid metric name '" + std::string(keys_[i].metric_name) + "'");
      }
    }
    const bool gauge = type == "gauge";
    std::uint32_t first_input = 0;
    if (recorded != nullptr) {
      recorded->accepted = true;
      recorded->timestamps = format_read_ == StoreFormat::kV2;
      recorded->first_input = first_input = record_->inputs;
      record_->inputs += static_cast<std::uint32_t>(entries_.size());
      for (const DbEntryView &entry : entries_) {
        recorded->starts.push_back(entry.start);
        recorded->value_ats.push_back(entry.value_at);
      }
    }
    // prometheus_client: pid = parts[2][:-3] (drops ".db").
    const std::string pid = gauge && parts[2].size() >= 3 ? parts[2].substr(0, parts[2].size() - 3)
                                                          : std::string();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const EntryKeyView &key = keys_[i];
      FamilyAccumulator &family = family_for(key, type);
      if (gauge) {
        family.add_gauge(parts[1], pid, key.sample_name, key.labels, entries_[i].value,
                         entries_[i].timestamp, first_input + static_cast<std::uint32_t>(i));
      } else {
        family.add(key.sample_name, key.labels, entries_[i].value,
                   first_input + static_cast<std::uint32_t>(i));
      }
    }
  }

  FolderContents finish() {
    FolderContents contents;
    for (FamilyAccumulator &family : families_) {
      if (record_ != nullptr) {
        record_->recipes.emplace_back();
        contents.families.push_back(
            family.finish(contents.errors, &record_->recipes.back(), &record_->hidden));
      } else {
        contents.families.push_back(family.finish(contents.errors));
      }
    }
    contents.errors.insert(contents.errors.begin(), errors_.begin(), errors_.end());
    contents.detected = std::move(detected_);
    return contents;
  }

  // The same as formatted by format_text_exposition / format_openmetrics_exposition, the
  // samples formatted where they are (not recording), handed to `sink`.
  FolderExposition finish_exposition(bool openmetrics, const ExpositionSink &sink) {
    FolderExposition exposition;
    std::vector<TableFamily> tables;
    tables.reserve(families_.size());
    for (FamilyAccumulator &family : families_) {
      tables.push_back(family.finish_table(exposition.errors));
    }
    write_table_exposition(tables, openmetrics, sink);
    exposition.errors.insert(exposition.errors.begin(), errors_.begin(), errors_.end());
    exposition.detected = std::move(detected_);
    return exposition;
  }

 private:
  void reject(const std::string &message) { errors_.push_back(message); }

  // Reads the file into bytes_ and its entries, as views into it, into entries_.
  bool read_entries(const std::string &path) {
    std::string &bytes = bytes_;
    std::vector<DbEntryView> &entries = entries_;
    std::string problem;
    if (!read_db_file_bytes(path, bytes, &problem)) {
      if (record_ != nullptr) record_->unreadable = true;
      return reject(problem), false;
    }
    StoreFormat format = format_ == FormatPreference::kV1 ? StoreFormat::kV1 : StoreFormat::kV2;
    if (format_ == FormatPreference::kAuto) {
      // Detected, the entries are parsed too: every entry and key found whole and valid.
      switch (detect_and_parse_db_views(bytes, entries)) {
        case DetectedFormat::kEmpty:
          break;
        case DetectedFormat::kV2:
          detected_[base_name(path)] = format_read_ = StoreFormat::kV2;
          return true;
        case DetectedFormat::kV1:
          detected_[base_name(path)] = format_read_ = StoreFormat::kV1;
          return true;
        case DetectedFormat::kUnknown: {
          std::string as_v1;
          std::string as_v2;
          std::vector<DbEntry> ignored;
          parse_db_bytes(bytes, StoreFormat::kV1, ignored, &as_v1);
          parse_db_bytes(bytes, StoreFormat::kV2, ignored, &as_v2);
          reject(path + ": corrupt file, neither format v1 nor v2 (as v1: " +
                 (as_v1.empty() ? "keys are not JSON arrays" : as_v1) +
                 "; as v2: " + (as_v2.empty() ? "keys are not JSON arrays" : as_v2) + ")");
          return false;
        }
      }
    }
    format_read_ = format;
    if (!parse_db_views(bytes, format, entries, &problem)) {
      reject(path + ": corrupt " + std::string(to_string(format)) + " file: " + problem);
      return false;
    }
    return true;
  }

  FamilyAccumulator &family_for(const EntryKeyView &key, const std::string &type) {
    // prometheus_client: the first file read fixes a family's type and help text.
    // Consecutive entries are mostly one family's; then a hash lookup (nothing inserted).
    if (last_family_ < families_.size() && key.metric_name == last_name_) {
      return families_[last_family_];
    }
    last_name_.assign(key.metric_name);
    auto found = index_.find(last_name_);
    if (found == index_.end()) {
      found = index_.emplace(last_name_, families_.size()).first;
      families_.emplace_back(last_name_, std::string(key.help), type, record_ != nullptr);
    }
    last_family_ = found->second;
    return families_[last_family_];
  }

  FormatPreference format_;
  CollectionRecord *record_;            // nullptr: not recording
  StoreFormat format_read_ = StoreFormat::kV2;  // of the file being read
  std::vector<FamilyAccumulator> families_;
  std::size_t last_family_ = ~std::size_t{0};  // the family of the previous entry
  std::string last_name_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::string> errors_;
  std::map<std::string, StoreFormat> detected_;
  std::string bytes_;                 // the file being read
  std::vector<DbEntryView> entries_;  // its entries, views into bytes_
  std::vector<EntryKeyView> keys_;    // their keys, decoded (reused from file to file)
  DumpsKeyReader dumps_keys_;         // most keys, each read from the one before
};

}  // namespace

FolderContents collect_files(const std::vector<std::string> &paths, FormatPreference format) {
  FolderReader reader(format, nullptr);
  for (const std::string &path : paths) reader.read_file(path);
  return reader.finish();
}

bool list_db_files(const std::string &directory, std::vector<std::string> *paths,
                   std::vector<ino_t> *inodes) {
  paths->clear();
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(directory.c_str()), &::closedir);
  if (!dir) return false;
  std::vector<std::pair<std::string, ino_t>> found;
  while (const dirent *item = ::readdir(dir.get())) {
    const std::string_view name = item->d_name;
    // glob("*.db") in Python skips dot-files, which is where writers make new files.
    if (name.size() > 3 && name[0] != '.' && name.substr(name.size() - 3) == ".db") {
      found.emplace_back(directory + "/" + std::string(name), item->d_ino);
    }
  }
  std::sort(found.begin(), found.end());
  paths->reserve(found.size());
  for (auto &[path, inode] : found) paths->push_back(std::move(path));
  if (inodes != nullptr) {
    inodes->clear();
    for (const auto &entry : found) inodes->push_back(entry.second);
  }
  return true;
}

namespace {

FolderContents unopenable(const std::string &directory) {
  FolderContents contents;
  contents.errors.push_back(directory + ": cannot open the store folder");
  return contents;
}

}  // namespace

FolderContents collect_folder(const std::string &directory, FormatPreference format) {
  std::vector<std::string> paths;
  if (!list_db_files(directory, &paths)) return unopenable(directory);
  return collect_files(paths, format);
}

FolderExposition write_folder_exposition(const std::string &directory, FormatPreference format,
                                         bool openmetrics, const ExpositionSink &sink) {
  std::vector<std::string> paths;
  if (!list_db_files(directory, &paths)) {
    write_table_exposition({}, openmetrics, sink);
    FolderExposition exposition;
    exposition.errors = unopenable(directory).errors;
    return exposition;
  }
  FolderReader reader(format, nullptr);
  for (const std::string &path : paths) reader.read_file(path);
  return reader.finish_exposition(openmetrics, sink);
}

FolderContents collect_folder_recorded(const std::string &directory, FormatPreference format,
                                       CollectionRecord *record) {
  *record = CollectionRecord{};
  std::vector<std::string> paths;
  if (!list_db_files(directory, &paths)) {
    record->unreadable = true;
    return unopenable(directory);
  }
  FolderReader reader(format, record);
  for (const std::string &path : paths) reader.read_file(path);
  return reader.finish();
}

}  // namespace npuprobe::store
