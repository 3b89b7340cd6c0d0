#include "npuprobe/store/python_float.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

namespace npuprobe::store {
namespace {

struct DecimalDigits {
  std::string digits;  // no leading zeros, at least one digit
  int point;           // position of the decimal point relative to digits[0]
};

// Shortest digits that read back to `value` (|value| > 0, finite), as Python's repr finds them
// (dtoa mode 0). printf rounds correctly, so the first precision that round-trips gives them.
// Only 15, 16 and 17 digits need trying: when k <= 15 digits read back, the value lies within
// half an ulp (2^-53 relative) of those k digits, much closer than half a unit of the 15th digit
// (5e-16 relative at least), so its 15-digit rounding is the same digits padded with zeros,
// which are stripped below. Three tries at most instead of up to seventeen. Subnormal numbers
// carry fewer bits than 53 (their ulp is far coarser than 2^-53 relative), so they try all.
DecimalDigits shortest_digits(double value) {
  char text[40];
  const int first = value < std::numeric_limits<double>::min() ? 1 : 15;
  for (int precision = first; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  // text is "d.ddde[+-]xx" (no sign: the caller passes |value|)
  std::string_view view(text);
  const std::size_t e = view.find('e');
  DecimalDigits result;
  for (std::size_t i = 0; i < e; ++i) {
    if (view[i] != '.') result.digits.push_back(view[i]);
  }
  while (result.digits.size() > 1 && result.digits.back() == '0') result.digits.pop_back();
  result.point = std::atoi(text + e + 1) + 1;
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

}  // namespace npuprobe::store
