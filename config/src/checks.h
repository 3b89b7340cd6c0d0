// Value checks shared by the YAML, JSON and environment layers, so that every layer reports a
// bad value with the same words.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/config/config.h"

namespace npuprobe::config::detail {

// Strict decimal integer (optional sign, no spaces, fits int64).
bool parse_integer(std::string_view text, long long *out);
// A finite or infinite decimal number as strtod reads it, the whole text consumed.
bool parse_number(std::string_view text, double *out);
// true/false/yes/no/on/off (any case) and 1/0. No allocation.
bool parse_bool(std::string_view text, bool *out) noexcept;
extern const char kBooleanChoices[];  // "1, 0, true, false, yes, no, on, off (any case)"
// "off" or host:port with a decimal port 0..65535 (host may be empty or [v6]).
bool valid_listen(std::string_view text);

// "text" with " and \ escaped, control bytes as \xNN (C1 controls as \u00NN); a text longer than
// kQuotedLimit bytes is cut there and followed by `... (N bytes)`.
constexpr std::size_t kQuotedLimit = 64;
std::string quoted(std::string_view text);
std::string out_of_range(long long value, long long low, long long high);  // "5 is out of range 10..600000"
std::string number_text(double value);  // shortest text that reads back as `value`

// The message texts (Diagnostic::text) used by more than one layer.
extern const char kLogLevelChoices[];  // "trace, debug, info, warn, error, critical, off"
extern const char kFormatChoices[];    // "auto, v1, v2"
std::string not_one_of(std::string_view value, const char *choices);  // "\"x\" is not one of ..."
std::string bad_prefix(std::string_view value);
std::string bad_listen(std::string_view value);
std::string bad_level(std::string_view value);

// Labels npuprobe's own series carry (docs/contract.md; le/quantile from prometheus_client): an
// extra constant label (`labels`) may not reuse them.
extern const char kReservedLabelList[];  // "dp, device, api, ..."
bool is_reserved_label_name(std::string_view name);

}  // namespace npuprobe::config::detail
