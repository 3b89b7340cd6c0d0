// The key of one `.db` entry: json.dumps([metric_name, sample_name, labels, help],
// sort_keys=True) with Python's default separators and ASCII escaping, and its inverse. The JSON
// itself is base's (base/json_string.h, base/json.h), shared with the config and the sites files.
#pragma once

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

// The same into `key`, reusing its strings' storage: a collection decodes every key of every
// file, and most keys fit in what the previous one left. False (with `error`) as above.
// Without `with_help` the help text may be left as it was (a collection needs it only for a
// family it has not seen yet).
bool decode_entry_key_into(std::string_view json, EntryKey *key, std::string *error,
                           bool with_help = true);

}  // namespace npuprobe::store
