// The key of one `.db` entry: json.dumps([metric_name, sample_name, labels, help],
// sort_keys=True) with Python's default separators and ASCII escaping, and its inverse.
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

// Appends `text` as a JSON string literal the way Python's json.dumps(ensure_ascii=True) does.
// Bytes that are not valid UTF-8 are written as U+FFFD: a key must always be valid JSON.
void append_python_json_string(std::string &out, std::string_view text);

// Builds the key; `labels` need not be sorted.
std::string encode_entry_key(const EntryKey &key);

// Parses a key written by any prometheus_client version (or by us). Returns nullopt and sets
// `error` when the text is not a 4-element JSON array [string, string, {string: string}, string].
std::optional<EntryKey> decode_entry_key(std::string_view json, std::string *error);

}  // namespace npuprobe::store
