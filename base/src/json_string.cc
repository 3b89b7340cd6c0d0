#include "npuprobe/base/json_string.h"

#include <cstdio>

namespace npuprobe::base {
namespace {

constexpr char32_t kNotUtf8 = 0xFFFFFFFF;

// Decodes the well-formed UTF-8 sequence at text[i] (shortest form, no surrogates, at most
// U+10FFFF) and advances i past it; anything else is kNotUtf8 and advances i by one byte.
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
  }
  bool ok = length > 0 && i + length <= text.size();
  for (std::size_t k = 1; ok && k < length; ++k) {
    ok = (byte(i + k) & 0xC0) == 0x80;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kNotUtf8;
  }
  i += length;
  return cp;
}

void append_u_escape(std::string &out, unsigned unit) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", unit);
  out += buffer;
}

// JSON's two-character escapes: kShortEscaped[k] is written as a backslash and
// kShortEscapeLetters[k].
constexpr std::string_view kShortEscaped = "\"\\\n\r\t\b\f";
constexpr std::string_view kShortEscapeLetters = "\"\\nrtbf";

}  // namespace

void append_json_string(std::string &out, std::string_view text, JsonStringStyle style) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    char32_t cp = next_code_point(text, i);
    if (cp == kNotUtf8) {
      if (style == JsonStringStyle::kUtf8) {
        append_u_escape(out, static_cast<unsigned char>(text[start]));
        continue;
      }
      cp = 0xFFFD;
    }
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (const std::size_t k = kShortEscaped.find(c); k != std::string_view::npos) {
        out += '\\';
        out += kShortEscapeLetters[k];
      } else if (cp < 0x20 || cp == 0x7F) {  // DEL too: valid JSON, but not for a terminal
        append_u_escape(out, static_cast<unsigned>(cp));
      } else {
        out += c;
      }
    } else if (style == JsonStringStyle::kUtf8 && i - start > 1) {
      out.append(text.substr(start, i - start));  // well-formed: readable as it is
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

}  // namespace npuprobe::base
