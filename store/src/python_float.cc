#include "npuprobe/store/python_float.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

namespace npuprobe::store {
namespace {

struct DecimalDigits {
  std::string digits;  // no leading zeros, at least one digit
  int point;           // position of the decimal point relative to digits[0]
};

// Shortest digits that read back to `value` (|value| > 0, finite), as Python's repr finds them
// (dtoa mode 0: the fewest digits that round-trip, the closest to the value among those).
// std::to_chars without a precision promises exactly that (C++17 [charconv.to.chars]: the
// smallest number of characters that round-trips, ties by the smallest difference); in
// scientific form its characters are the digits and the exponent, nothing else.
DecimalDigits shortest_digits(double value) {
  char text[40];
  const auto end = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific).ptr;
  // text is "d[.ddd]e[+-]xx" (no sign: the caller passes |value|)
  const std::string_view view(text, static_cast<std::size_t>(end - text));
  const std::size_t e = view.find('e');
  DecimalDigits result;
  for (std::size_t i = 0; i < e; ++i) {
    if (view[i] != '.') result.digits.push_back(view[i]);
  }
  while (result.digits.size() > 1 && result.digits.back() == '0') result.digits.pop_back();
  int exponent = 0;
  const char *digits = text + e + 1 + (view[e + 1] == '+' ? 1 : 0);
  std::from_chars(digits, end, exponent);
  result.point = exponent + 1;
  return result;
}

// Whole numbers below 2^53 (counts, bucket counts, byte sizes: most of an exposition) are
// every digit of the integer and ".0": doubles 1 apart or closer there, so no shorter digits
// read back, and 16 digits at most stay out of the exponent form.
bool whole_number_repr(double magnitude, std::string *out) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (!(magnitude < kExactIntegers) || magnitude != std::floor(magnitude)) return false;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits,
                                 static_cast<unsigned long long>(magnitude)).ptr;
  out->append(digits, end);
  out->append(".0");
  return true;
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string out = std::signbit(value) ? "-" : "";
  if (value == 0) return out + "0.0";
  if (whole_number_repr(std::fabs(value), &out)) return out;
  const DecimalDigits d = shortest_digits(std::fabs(value));
  const int count = static_cast<int>(d.digits.size());
  if (d.point <= -4 || d.point > 16) {
    // Exponent form, as float_repr_style 'short' does: "1e+16", "2.5e-05".
    out += d.digits[0];
    if (count > 1) out += "." + d.digits.substr(1);
    const int exponent = d.point - 1;
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + tail;
  }
  if (d.point <= 0)
    return out + "0." + std::string(static_cast<std::size_t>(-d.point), '0') + d.digits;
  if (d.point >= count) {
    return out + d.digits + std::string(static_cast<std::size_t>(d.point - count), '0') + ".0";
  }
  return out + d.digits.substr(0, static_cast<std::size_t>(d.point)) + "." +
         d.digits.substr(static_cast<std::size_t>(d.point));
}

std::string float_to_go_string(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  const std::string repr = python_float_repr(value);
  const std::size_t dot = repr.find('.');
  // Go switches to exponents sooner than Python (prometheus_client's own comment); the odd
  // "e+0" + digits prefix is copied as is, so "e+010" for ten digits, exactly like Python.
  if (value > 0 && dot != std::string::npos && dot > 6) {
    std::string mantissa = repr.substr(0, 1) + "." + repr.substr(1, dot - 1) + repr.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) {
      mantissa.pop_back();
    }
    return mantissa + "e+0" + std::to_string(dot - 1);
  }
  return repr;
}

namespace {

// floatToGoString of a finite non-zero value that is not a small whole number, written at `at`
// (40 bytes are enough: sign, 17 digits, point, "e+0" or "e-" and 3 exponent digits). The same
// rules as python_float_repr + float_to_go_string above, straight from to_chars's digits into
// one buffer: a scrape formats every value, and the temporaries of the general way cost more
// than finding the digits.
char *write_go_float(char *at, double value) {
  if (std::signbit(value)) *at++ = '-';
  char text[40];
  const auto end =
      std::to_chars(text, text + sizeof text, std::fabs(value), std::chars_format::scientific).ptr;
  // text is "d[.ddd]e[+-]xx": the digits, then the exponent.
  char digits[24];
  int count = 0;
  const char *c = text;
  for (; *c != 'e'; ++c) {
    if (*c != '.') digits[count++] = *c;
  }
  while (count > 1 && digits[count - 1] == '0') --count;
  int exponent = 0;
  std::from_chars(c + 1 + (c[1] == '+' ? 1 : 0), end, exponent);
  const int point = exponent + 1;
  const auto copy = [&at](const char *from, int n) {
    std::memcpy(at, from, static_cast<std::size_t>(n));
    at += n;
  };
  if (point <= -4 || point > 16) {
    // Python's exponent form ("1e+16", "2.5e-05"); Go's rule never applies to it (no '.' past
    // the sixth character).
    *at++ = digits[0];
    if (count > 1) {
      *at++ = '.';
      copy(digits + 1, count - 1);
    }
    *at++ = 'e';
    *at++ = exponent < 0 ? '-' : '+';
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) *at++ = '0';
    return std::to_chars(at, at + 4, magnitude).ptr;
  }
  if (value > 0 && point > 6) {
    // repr has more than 6 digits before its '.': Go's form, prometheus_client's "e+0" + the
    // integer digits less one ("2.5e+07", "1e+015"). The digits have no trailing zeros, so
    // rstrip('0.') leaves exactly them.
    *at++ = digits[0];
    if (count > 1) {
      *at++ = '.';
      copy(digits + 1, count - 1);
    }
    copy("e+0", 3);
    return std::to_chars(at, at + 4, point - 1).ptr;
  }
  if (point <= 0) {  // "0.000ddd"
    copy("0.", 2);
    for (int i = 0; i < -point; ++i) *at++ = '0';
    copy(digits, count);
    return at;
  }
  if (point >= count) {  // "ddd000.0"
    copy(digits, count);
    for (int i = count; i < point; ++i) *at++ = '0';
    copy(".0", 2);
    return at;
  }
  copy(digits, point);  // "ddd.ddd"
  *at++ = '.';
  copy(digits + point, count - point);
  return at;
}

}  // namespace

char *write_float_to_go_string(char *at, double value) {
  // Whole numbers that floatToGoString leaves as repr prints them, "<digits>.0": below 10^6
  // when positive (7 digits take Go's exponent), down to -2^53 when negative (never an
  // exponent there). -0.0 and everything else take the general way.
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  const bool plain = value > 0 ? value < 1e6 : (value < 0 && value > -kExactIntegers);
  const auto copy = [&at](const char *text, std::size_t n) {
    std::memcpy(at, text, n);
    return at + n;
  };
  if (plain && value == std::floor(value)) {
    if (value < 0) *at++ = '-';
    at = std::to_chars(at, at + 20, static_cast<unsigned long long>(std::fabs(value))).ptr;
    return copy(".0", 2);
  }
  if (std::isnan(value)) return copy("NaN", 3);
  if (std::isinf(value)) return copy(value > 0 ? "+Inf" : "-Inf", 4);
  if (value == 0) return std::signbit(value) ? copy("-0.0", 4) : copy("0.0", 3);
  return write_go_float(at, value);
}

void append_float_to_go_string(std::string &out, double value) {
  char text[kMaxGoFloatChars];
  out.append(text, static_cast<std::size_t>(write_float_to_go_string(text, value) - text));
}

}  // namespace npuprobe::store
