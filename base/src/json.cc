#include "npuprobe/base/json.h"

#include <cerrno>
#include <cstdlib>
#include <new>

namespace npuprobe::base::json {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool parse_document(Value *out, ParseError *error) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skip_space();
    if (!parse_value(out, 0)) return fail_out(error);
    skip_space();
    if (pos_ < text_.size()) {
      set_error("unexpected content after the JSON value");
      return fail_out(error);
    }
    return true;
  }

 private:
  bool fail_out(ParseError *error) {
    if (error != nullptr) *error = error_;
    return false;
  }

  bool set_error(const std::string &message) {
    error_.line = line_;
    error_.column = static_cast<int>(pos_ - line_start_) + 1;
    error_.offset = pos_;
    error_.message = message;
    return false;
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool parse_value(Value *out, int depth) {
    if (depth > kMaxDepth) return set_error("nesting deeper than 64 levels");
    out->line = line_;
    if (pos_ >= text_.size()) return set_error("unexpected end of input, expected a value");
    const char c = text_[pos_];
    switch (c) {
      case '{': return parse_object(out, depth);
      case '[': return parse_array(out, depth);
      case '"': out->type = Value::Type::kString; return parse_string(&out->text);
      case 't':
      case 'f':
      case 'n':
        if (literal("true")) {
          out->type = Value::Type::kBool;
          out->boolean = true;
          return true;
        }
        if (literal("false")) {
          out->type = Value::Type::kBool;
          out->boolean = false;
          return true;
        }
        if (literal("null")) {
          out->type = Value::Type::kNull;
          return true;
        }
        return set_error("invalid literal");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return set_error(std::string("unexpected character '") + printable(c) + "'");
    }
  }

  static std::string printable(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string(1, c);
    static const char kHex[] = "0123456789abcdef";
    return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
  }

  bool parse_object(Value *out, int depth) {
    out->type = Value::Type::kObject;
    ++pos_;  // '{'
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      if (pos_ >= text_.size()) return set_error("unexpected end of input inside an object");
      if (text_[pos_] != '"') return set_error("expected a string key in an object");
      Member member;
      member.line = line_;
      if (!parse_string(&member.key)) return false;
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return set_error("expected ':' after a key");
      ++pos_;
      skip_space();
      if (!parse_value(&member.value, depth + 1)) return false;
      out->members.push_back(std::move(member));
      skip_space();
      if (pos_ >= text_.size()) return set_error("unexpected end of input inside an object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return set_error("expected ',' or '}' in an object");
    }
  }

  bool parse_array(Value *out, int depth) {
    out->type = Value::Type::kArray;
    ++pos_;  // '['
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      Value item;
      if (!parse_value(&item, depth + 1)) return false;
      out->items.push_back(std::move(item));
      skip_space();
      if (pos_ >= text_.size()) return set_error("unexpected end of input inside an array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return set_error("expected ',' or ']' in an array");
    }
  }

  static void append_utf8(std::string *out, std::uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool hex4(std::uint32_t *out) {
    if (pos_ + 4 > text_.size()) return set_error("truncated \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + static_cast<std::size_t>(i)];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return set_error("invalid \\u escape");
      }
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  bool parse_string(std::string *out) {
    ++pos_;  // opening quote
    out->clear();
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return set_error(c == '\n' ? "unterminated string" : "control character in a string");
      }
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const std::size_t high_end = pos_;
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(&low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = high_end;  // not a pair: the next escape is read on its own, as Python does
            }
          }
          // note: json.loads accepts a lone surrogate (json.h); UTF-8 cannot hold it.
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          return set_error(std::string("invalid escape '\\") + printable(e) + "'");
      }
    }
    return set_error("unterminated string");
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool parse_number(Value *out) {
    const std::size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !digit(text_[pos_])) return set_error("invalid number");
    if (text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && digit(text_[pos_])) return set_error("leading zero in a number");
    } else {
      while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= text_.size() || !digit(text_[pos_])) return set_error("invalid number");
      while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !digit(text_[pos_])) return set_error("invalid number");
      while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    }
    out->type = Value::Type::kNumber;
    out->text = std::string(text_.substr(start, pos_ - start));
    out->number = std::strtod(out->text.c_str(), nullptr);
    if (integral) {
      errno = 0;
      char *end = nullptr;
      const long long value = std::strtoll(out->text.c_str(), &end, 10);
      if (errno == 0) {
        out->integral = true;
        out->integer = value;
      }
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;
  ParseError error_;
};

}  // namespace

const Value *Value::find(std::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

bool parse(std::string_view text, Value *out, ParseError *error) {
  try {
    Value value;
    Parser parser(text);
    if (!parser.parse_document(&value, error)) return false;
    *out = std::move(value);
    return true;
  } catch (const std::bad_alloc &) {
    if (error != nullptr) *error = ParseError{0, 0, 0, "out of memory"};
    return false;
  }
}

const char *describe(Value::Type type) {
  switch (type) {
    case Value::Type::kNull: return "null";
    case Value::Type::kBool: return "a boolean";
    case Value::Type::kNumber: return "a number";
    case Value::Type::kString: return "a string";
    case Value::Type::kArray: return "an array";
    case Value::Type::kObject: return "an object";
  }
  return "?";
}

}  // namespace npuprobe::base::json
