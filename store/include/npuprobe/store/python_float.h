// Float text exactly as prometheus_client prints it, so keys (`le`) and exposition lines are
// byte-identical to what Python writes for the same values.
#pragma once

#include <cstddef>
#include <string>

namespace npuprobe::store {

// Python's repr(float): shortest round-trip digits; exponent form when the decimal point would
// sit more than 16 digits right or 4 digits left ("1e+16", "1e-05", "0.0001", "1.0").
std::string python_float_repr(double value);

// prometheus_client.utils.floatToGoString: "+Inf", "-Inf", "NaN", and for positive values with
// more than 6 integer digits Go's exponent style ("2.5e+07", "2.147483648e+09").
std::string float_to_go_string(double value);

// The same, appended to `out`; whole numbers (most of an exposition: counts, bucket counts,
// byte sizes) without a temporary string.
void append_float_to_go_string(std::string &out, double value);

// The same written at `at` (room for kMaxGoFloatChars), returning the end: for a caller that
// formats many values into one buffer.
inline constexpr std::size_t kMaxGoFloatChars = 32;  // "-1.7976931348623157e+308" is 24
char *write_float_to_go_string(char *at, double value);

}  // namespace npuprobe::store
