// Expected strings are what CPython's repr() and prometheus_client's floatToGoString print.
#include "npuprobe/store/python_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

TEST(PythonFloat, ReprRoundTripsEveryValue) {
  for (double v : {1.0 / 3, 2.0 / 3, 1e-300, 6.02214076e23, 0.1, 1e-7, 9007199254740993.0}) {
    EXPECT_EQ(std::strtod(python_float_repr(v).c_str(), nullptr), v) << python_float_repr(v);
  }
}

}  // namespace
}  // namespace npuprobe::store
