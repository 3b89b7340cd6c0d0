// The key of one `.db` entry: json.dumps([metric_name, sample_name, labels, help],
// sort_keys=True) with Python's default separators and ASCII escaping, and its inverse. The JSON
// itself is base's (base/json_string.h, base/json.h), shared with the config and the sites files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace npuprobe::store {

// Label name -> value pairs. Kept sorted by name wherever a key is made or compared.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct EntryKey {
  std::string metric_name;
  std::string sample_name;
  LabelPairs labels;  // sorted by name
  std::string help;
};

// Builds the key; `labels` need not be sorted.
std::string encode_entry_key(const EntryKey &key);

// Parses a key written by any prometheus_client version (or by us). Returns nullopt and sets
// `error` when the text is not a 4-element JSON array [string, string, {string: string}, string].
// A lone surrogate escape reads as U+FFFD (base/json.h).
std::optional<EntryKey> decode_entry_key(std::string_view json, std::string *error);

// Label name -> value views, sorted by name.
using LabelViews = std::vector<std::pair<std::string_view, std::string_view>>;

// A decoded key as views: into the JSON text itself (a key json.dumps wrote: no escapes), or
// into `decoded` (a key that needed unescaping). Valid while both are. A collection decodes
// every key of every file: views copy nothing per entry.
struct EntryKeyView {
  std::string_view metric_name;
  std::string_view sample_name;
  LabelViews labels;  // sorted by name
  std::string_view help;
  std::unique_ptr<EntryKey> decoded;  // made the first time a key needs it (rare)
};

// decode_entry_key as views into `json` or key->decoded (see EntryKeyView); false with `error`
// as decode_entry_key.
bool decode_entry_key_view(std::string_view json, EntryKeyView *key, std::string *error);

}  // namespace npuprobe::store
