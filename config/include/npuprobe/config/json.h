// A small strict JSON parser (RFC 8259) for the msserviceprofiler config: no dependency, line
// numbers on every value and in every error, nesting limited to kMaxDepth.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace npuprobe::config::json {

inline constexpr int kMaxDepth = 64;

struct Member;

struct Value {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type = Type::kNull;
  int line = 0;  // 1-based line where the value starts
  bool boolean = false;
  double number = 0;
  bool integral = false;        // a number written without fraction/exponent that fits int64
  std::int64_t integer = 0;     // valid when integral
  std::string text;             // the string, or the number as written
  std::vector<Value> items;     // kArray
  std::vector<Member> members;  // kObject, in file order (duplicates kept)

  // The last member named `key`, or nullptr.
  const Value *find(std::string_view key) const;
};

struct Member {
  std::string key;
  int line = 0;
  Value value;
};

struct ParseError {
  int line = 0;
  int column = 0;
  std::string message;
};

// Parses one JSON document (a UTF-8 BOM and surrounding whitespace allowed). Never throws.
bool parse(std::string_view text, Value *out, ParseError *error);

// "null", "a boolean", "a number", "a string", "an array", "an object".
const char *describe(Value::Type type);

}  // namespace npuprobe::config::json
