// Encoding half of json_key.h: byte-identical to Python's json.dumps(..., sort_keys=True).
#include <algorithm>
#include <cstdio>

#include "npuprobe/store/json_key.h"

namespace npuprobe::store {
namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes one UTF-8 sequence at text[i]; advances i. Invalid or overlong sequences and
// surrogates yield U+FFFD and consume one byte, so every input produces valid JSON.
char32_t next_code_point(std::string_view text, std::size_t &i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    ++i;
    return kReplacementCharacter;
  }
  if (i + length > text.size()) {
    ++i;
    return kReplacementCharacter;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return kReplacementCharacter;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kReplacementCharacter;
  }
  i += length;
  return cp;
}

void append_u_escape(std::string &out, unsigned unit) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", unit);
  out += buffer;
}

}  // namespace

void append_python_json_string(std::string &out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = next_code_point(text, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      append_u_escape(out, static_cast<unsigned>(cp));
    } else {
      const char32_t v = cp - 0x10000;
      append_u_escape(out, 0xD800 | static_cast<unsigned>(v >> 10));
      append_u_escape(out, 0xDC00 | static_cast<unsigned>(v & 0x3FF));
    }
  }
  out += '"';
}

std::string encode_entry_key(const EntryKey &key) {
  LabelPairs labels = key.labels;
  std::sort(labels.begin(), labels.end());
  std::string out = "[";
  append_python_json_string(out, key.metric_name);
  out += ", ";
  append_python_json_string(out, key.sample_name);
  out += ", {";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    append_python_json_string(out, labels[i].first);
    out += ": ";
    append_python_json_string(out, labels[i].second);
  }
  out += "}, ";
  append_python_json_string(out, key.help);
  out += ']';
  return out;
}

}  // namespace npuprobe::store
