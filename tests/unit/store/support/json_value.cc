#include "json_value.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "npuprobe/store/json_key.h"

namespace npuprobe::store::testing {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  JsonValue value() {
    space();
    if (pos_ >= text_.size()) throw std::runtime_error("json: unexpected end");
    JsonValue v;
    const char c = text_[pos_];
    if (c == '{') {
      v.kind = JsonValue::Kind::kObject;
      ++pos_;
      if (peek() == '}') return ++pos_, v;
      do {
        space();
        std::string key = string();
        expect(':');
        v.object[key] = value();
      } while (next_is(','));
      expect('}');
    } else if (c == '[') {
      v.kind = JsonValue::Kind::kArray;
      ++pos_;
      if (peek() == ']') return ++pos_, v;
      do v.array.push_back(value());
      while (next_is(','));
      expect(']');
    } else if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      v.string = string();
    } else if (text_.substr(pos_, 4) == "true" || text_.substr(pos_, 5) == "false") {
      v.kind = JsonValue::Kind::kBool;
      v.boolean = c == 't';
      pos_ += v.boolean ? 4 : 5;
    } else if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
    } else {
      v.kind = JsonValue::Kind::kNumber;
      const std::string rest(text_.substr(pos_, 64));
      char *end = nullptr;
      v.number = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str()) throw std::runtime_error("json: bad value");
      pos_ += static_cast<std::size_t>(end - rest.c_str());
    }
    return v;
  }

 private:
  void space() {
    while (pos_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos)
      ++pos_;
  }
  char peek() {
    space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool next_is(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!next_is(c)) throw std::runtime_error(std::string("json: expected ") + c);
  }
  // Reuses the store's key decoder for string escapes: wrap the literal in a minimal key.
  std::string string() {
    const std::size_t start = pos_;
    if (text_[pos_++] != '"') throw std::runtime_error("json: expected string");
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    ++pos_;
    const std::string literal(text_.substr(start, pos_ - start));
    std::string error;
    auto key = decode_entry_key("[" + literal + ", \"\", {}, \"\"]", &error);
    if (!key) throw std::runtime_error("json: " + error);
    return key->metric_name;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

const JsonValue &JsonValue::operator[](const std::string &key) const {
  auto it = object.find(key);
  if (it == object.end()) throw std::runtime_error("json: missing key " + key);
  return it->second;
}

JsonValue parse_json(std::string_view text) {
  return Parser(text).value();
}

std::string read_text_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace npuprobe::store::testing
