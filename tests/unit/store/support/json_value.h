// A small JSON reader for test inputs (ops.json). Tests only: the store itself parses keys
// with its own strict key parser.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace npuprobe::store::testing {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  const JsonValue &operator[](const std::string &key) const;  // throws if missing
  bool has(const std::string &key) const { return object.count(key) > 0; }
};

// Throws std::runtime_error on malformed input.
JsonValue parse_json(std::string_view text);

std::string read_text_file(const std::string &path);

}  // namespace npuprobe::store::testing
