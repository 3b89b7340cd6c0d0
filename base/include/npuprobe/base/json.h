// npuprobe's one JSON reader (RFC 8259, strict): the msserviceprofiler config, the store's entry
// keys (store/json_key.h), the sites files. No dependency, line numbers on every value and in
// every error, nesting limited to kMaxDepth.
//
// Where RFC 8259 leaves a choice, it reads as Python's json.loads does, because every file it
// reads is also read by Python (prometheus_client, msserviceprofiler): a lone UTF-16 surrogate
// escape ("\ud800" without its pair) is accepted. A std::string holds UTF-8, which cannot encode
// a lone surrogate, so it reads as U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace npuprobe::base::json {

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
  std::size_t offset = 0;  // bytes from the start of the text
  std::string message;
};

// Parses one JSON document (a UTF-8 BOM and surrounding whitespace allowed: a file's text).
// Never throws.
bool parse(std::string_view text, Value *out, ParseError *error);

// "null", "a boolean", "a number", "a string", "an array", "an object".
const char *describe(Value::Type type);

}  // namespace npuprobe::base::json
