// Decoding half of json_key.h: a strict parser for exactly the key shape prometheus_client
// writes. Accepts any JSON whitespace and escape style, since readers json-parse the key.
#include <algorithm>

#include "npuprobe/store/json_key.h"

namespace npuprobe::store {
namespace {

class KeyParser {
 public:
  explicit KeyParser(std::string_view text) : text_(text) {}

  std::optional<EntryKey> parse(std::string *error) {
    EntryKey key;
    const bool ok = expect('[') && parse_string(key.metric_name) && expect(',') &&
                    parse_string(key.sample_name) && expect(',') && parse_labels(key.labels) &&
                    expect(',') && parse_string(key.help) && expect(']') && at_end();
    if (!ok) {
      if (error) *error = "invalid key JSON at byte " + std::to_string(pos_) + ": " + problem_;
      return std::nullopt;
    }
    std::sort(key.labels.begin(), key.labels.end());
    return key;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool fail(const char *problem) {
    problem_ = problem;
    return false;
  }

  bool expect(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    problem_ = std::string("expected '") + c + "'";
    if (c == ',' || c == ']') problem_ += " (a key is [metric, sample, {labels}, help])";
    return false;
  }

  bool at_end() {
    skip_space();
    return pos_ == text_.size() || fail("trailing bytes after the key");
  }

  bool parse_labels(LabelPairs &labels) {
    if (!expect('{')) return false;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
    for (;;) {
      std::pair<std::string, std::string> label;
      if (!parse_string(label.first) || !expect(':') || !parse_string(label.second)) return false;
      labels.push_back(std::move(label));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return expect('}');
    }
  }

  static void append_utf8(std::string &out, char32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parse_hex4(char32_t &unit) {
    if (pos_ + 4 > text_.size()) return fail("short \\u escape");
    unit = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_++];
      unit <<= 4;
      if (c >= '0' && c <= '9')
        unit |= static_cast<char32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        unit |= static_cast<char32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        unit |= static_cast<char32_t>(c - 'A' + 10);
      else
        return fail("bad hex digit in \\u escape");
    }
    return true;
  }

  bool parse_escape(std::string &out) {
    if (pos_ >= text_.size()) return fail("unterminated escape");
    const char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'u':
        break;
      default:
        return fail("unknown escape");
    }
    char32_t unit = 0;
    if (!parse_hex4(unit)) return false;
    if (unit >= 0xD800 && unit <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      const std::size_t save = pos_;
      pos_ += 2;
      char32_t low = 0;
      if (!parse_hex4(low)) return false;
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        return true;
      }
      pos_ = save;
    }
    // note: a lone surrogate cannot be encoded as UTF-8; Python would fail later, we substitute.
    append_utf8(out, (unit >= 0xD800 && unit <= 0xDFFF) ? 0xFFFD : unit);
    return true;
  }

  bool parse_string(std::string &out) {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a string");
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c == '\\') {
        if (!parse_escape(out)) return false;
      } else {
        out += c;
      }
    }
    return fail("unterminated string");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string problem_;
};

}  // namespace

std::optional<EntryKey> decode_entry_key(std::string_view json, std::string *error) {
  return KeyParser(json).parse(error);
}

}  // namespace npuprobe::store
