// Expected strings are what CPython's repr() and prometheus_client's floatToGoString print.
#include "npuprobe/store/python_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace npuprobe::store {
namespace {

TEST(PythonFloat, ReprMatchesCPython) {
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.001), "0.001");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(30.0764), "30.0764");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(123456.0), "123456.0");
}

// The plain definition of Python's repr digits, for the property test below: the first
// precision from 1 to 17 whose correctly rounded digits read back (python_float.cc takes
// std::to_chars's shortest digits and has a fast path for whole numbers; both must give the
// same strings).
std::string reference_repr(double value) {
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char text[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, std::fabs(value));
    if (std::strtod(text, nullptr) == std::fabs(value)) break;
  }
  const char *e = std::strchr(text, 'e');
  std::string digits;
  for (const char *c = text; c < e; ++c) {
    if (*c != '.') digits.push_back(*c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int point = std::atoi(e + 1) + 1;
  const int count = static_cast<int>(digits.size());
  std::string out = std::signbit(value) ? "-" : "";
  if (point <= -4 || point > 16) {
    out += digits[0];
    if (count > 1) out += "." + digits.substr(1);
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", point - 1 < 0 ? '-' : '+', std::abs(point - 1));
    return out + tail;
  }
  if (point <= 0) return out + "0." + std::string(-point, '0') + digits;
  if (point >= count) return out + digits + std::string(point - count, '0') + ".0";
  return out + digits.substr(0, point) + "." + digits.substr(point);
}

TEST(PythonFloat, ShortcutsGiveTheReferenceDigits) {
  std::mt19937_64 random(20261207);
  std::uniform_int_distribution<int> exponent(-30, 30);
  auto check = [](double value) {
    ASSERT_EQ(python_float_repr(value), reference_repr(value)) << std::hexfloat << value;
  };
  for (int i = 0; i < 50000; ++i) {
    std::uint64_t bits = random();
    double any;
    std::memcpy(&any, &bits, sizeof any);
    if (std::isfinite(any)) check(any);                           // every magnitude
    check(static_cast<double>(random() >> (random() % 64)));      // whole numbers, 2^53 and up
    check(static_cast<double>(random() % 100000) / 1000.0);       // decimal sums, seconds
    check(std::ldexp(static_cast<double>(random() >> 11), exponent(random) - 53));
  }
  for (double edge : {9007199254740991.0, 9007199254740992.0, 9007199254740994.0, 1e16 - 2,
                      1e16, 1e15, 0.1, 5e-324, 1.7976931348623157e308, 4503599627370495.5}) {
    check(edge);
    check(-edge);
  }
}

TEST(PythonFloat, GoStringMatchesPrometheusClient) {
  EXPECT_EQ(float_to_go_string(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(float_to_go_string(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(float_to_go_string(std::nan("")), "NaN");
  EXPECT_EQ(float_to_go_string(0.005), "0.005");
  EXPECT_EQ(float_to_go_string(1.0), "1.0");
  EXPECT_EQ(float_to_go_string(123456.0), "123456.0");
  EXPECT_EQ(float_to_go_string(1234567.0), "1.234567e+06");
  EXPECT_EQ(float_to_go_string(25000000.0), "2.5e+07");
  EXPECT_EQ(float_to_go_string(2147483648.0), "2.147483648e+09");
  // prometheus_client's quirk, kept for byte-identical output: "e+0" + two digits.
  EXPECT_EQ(float_to_go_string(1e15), "1e+015");
  EXPECT_EQ(float_to_go_string(1e16), "1e+16");
}

TEST(PythonFloat, AppendedGoStringIsTheGoString) {
  std::mt19937_64 random(7);
  auto check = [](double value) {
    std::string appended = "x";
    append_float_to_go_string(appended, value);
    ASSERT_EQ(appended, "x" + float_to_go_string(value)) << std::hexfloat << value;
  };
  for (double edge : {0.0, -0.0, 1.0, -1.0, 999999.0, 1e6, -1e6, 1e15, 9007199254740991.0,
                      -9007199254740991.0, -9007199254740992.0, 0.5, -0.5, 1e300,
                      std::numeric_limits<double>::infinity(), std::nan("")}) {
    check(edge);
    check(-edge);
  }
  for (int i = 0; i < 20000; ++i) {
    check(static_cast<double>(random() % 3000000) - 1000000.0);
    check(static_cast<double>(random() >> (random() % 64)));
    check(static_cast<double>(random() % 100000) / 64.0);
    // The general way (written straight into one buffer): every magnitude, decimals, sums of
    // seconds, values around Go's 7-digit switch and Python's exponent bounds.
    std::uint64_t bits = random();
    double any;
    std::memcpy(&any, &bits, sizeof any);
    check(any);
    check(static_cast<double>(random() % 100000) / 1000.0);
    check(std::ldexp(static_cast<double>(random() >> 11), static_cast<int>(random() % 80) - 80));
    check(static_cast<double>(random() % 100000000) + 0.25);
  }
  for (double edge : {1e-4, 1e-5, 9.999e-5, 1e16 - 2, 1e16, 1.5e16, 1234567.5, 999999.5, 5e-324,
                      1.7976931348623157e308, 0.30000000000000004, 2.5e7}) {
    check(edge);
    check(-edge);
  }
}

TEST(PythonFloat, ReprRoundTripsEveryValue) {
  for (double v : {1.0 / 3, 2.0 / 3, 1e-300, 6.02214076e23, 0.1, 1e-7, 9007199254740993.0}) {
    EXPECT_EQ(std::strtod(python_float_repr(v).c_str(), nullptr), v) << python_float_repr(v);
  }
}

}  // namespace
}  // namespace npuprobe::store
