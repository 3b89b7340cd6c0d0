#include "npuprobe/base/terminal_text.h"

#include <cstdio>

namespace npuprobe::base {
namespace {

void escape_byte(unsigned char byte, std::string *out) {
  char text[5];
  std::snprintf(text, sizeof text, "\\x%02x", byte);
  *out += text;
}

// Length of the well-formed UTF-8 sequence at `at` (2..4), 0 when there is none.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte == '\\') {
      out += "\\\\";
      ++at;
    } else if (byte < 0x20 || byte == 0x7F) {
      escape_byte(byte, &out);
      ++at;
    } else if (byte < 0x80) {
      out += static_cast<char>(byte);
      ++at;
    } else if (const std::size_t length = utf8_length(text, at);
               length != 0 && !(byte == 0xC2 && static_cast<unsigned char>(text[at + 1]) < 0xA0)) {
      out.append(text.substr(at, length));  // C2 80..C2 9F are the C1 controls: escaped below
      at += length;
    } else if (length != 0) {
      escape_byte(byte, &out);
      escape_byte(static_cast<unsigned char>(text[at + 1]), &out);
      at += 2;
    } else {
      escape_byte(byte, &out);
      ++at;
    }
  }
  return out;
}

}  // namespace npuprobe::base
