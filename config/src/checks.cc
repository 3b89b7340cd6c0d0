// The value checks of checks.h. In npuprobe_control (no yaml-cpp), because the environment
// layer (environment_values.cc) that the preload shares with the loaders uses them.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "checks.h"

namespace npuprobe::config {
namespace detail {

const char kLogLevelChoices[] = "trace, debug, info, warn, error, critical, off";
const char kFormatChoices[] = "auto, v1, v2";
const char kReservedLabelList[] =
    "dp, device, api, code, op, reason, type, version, format, mode, local_device, process_pid, "
    "model_name, le, quantile";

bool is_reserved_label_name(std::string_view name) {
  std::string_view list = kReservedLabelList;
  while (!list.empty()) {
    const std::size_t comma = list.find(", ");
    if (list.substr(0, comma) == name) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
  }
  return false;
}

bool parse_integer(std::string_view text, long long *out) {
  if (text.empty() || text.size() > 40) return false;
  std::size_t i = 0;
  if (text[0] == '+' || text[0] == '-') i = 1;
  if (i == text.size()) return false;
  for (std::size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return false;
  }
  const std::string copy(text);
  errno = 0;
  const long long value = std::strtoll(copy.c_str(), nullptr, 10);
  if (errno != 0) return false;
  *out = value;
  return true;
}

bool parse_number(std::string_view text, double *out) {
  if (text.empty() || text.size() > 100) return false;
  const std::string copy(text);
  if (copy[0] == ' ' || copy[0] == '\t' || copy[0] == '\n') return false;
  // YAML's spellings of infinity and NaN (rejected later as not finite).
  for (const char *inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (copy == inf) {
      *out = HUGE_VAL;
      return true;
    }
  }
  for (const char *inf : {"-.inf", "-.Inf", "-.INF"}) {
    if (copy == inf) {
      *out = -HUGE_VAL;
      return true;
    }
  }
  if (copy == ".nan" || copy == ".NaN" || copy == ".NAN") {
    *out = std::nan("");
    return true;
  }
  // Hex floats are not YAML numbers.
  if (copy.find_first_of("xXpP") != std::string::npos) return false;
  char *end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end == nullptr || *end != '\0') return false;
  *out = value;
  return true;
}

namespace {

// ASCII case-insensitive equality; no allocation, so that the preload's constructor may use it.
bool same_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

const char kBooleanChoices[] = "1, 0, true, false, yes, no, on, off (any case)";

bool parse_bool(std::string_view text, bool *out) noexcept {
  for (const char *yes : {"1", "true", "yes", "on"}) {
    if (same_ignoring_case(text, yes)) {
      *out = true;
      return true;
    }
  }
  for (const char *no : {"0", "false", "no", "off"}) {
    if (same_ignoring_case(text, no)) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool valid_listen(std::string_view text) {
  if (text == "off") return true;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  if (std::atoi(std::string(port).c_str()) > 65535) return false;
  if (!host.empty() && host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host) {
    if (c == ':' || c == ' ' || c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  // A value may be anything a hostile or careless environment holds (a 100 kB string, escape
  // sequences): the message shows a bounded, printable start of it and says how long it was.
  std::string_view shown = text;
  if (shown.size() > kQuotedLimit) {
    std::size_t cut = kQuotedLimit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    shown = text.substr(0, cut);
  }
  std::string out = "\"";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const char c = shown[i];
    const auto u = static_cast<unsigned char>(c);
    const auto next = i + 1 < shown.size() ? static_cast<unsigned char>(shown[i + 1]) : 0u;
    if (u == 0xC2 && next >= 0x80 && next <= 0x9F) {  // U+0080..U+009F: C1 controls (CSI)
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", next);
      out += buffer;
      ++i;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += '"';
  if (shown.size() < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string out_of_range(long long value, long long low, long long high) {
  return std::to_string(value) + " is out of range " + std::to_string(low) + ".." +
         std::to_string(high);
}

std::string number_text(double value) {
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string not_one_of(std::string_view value, const char *choices) {
  return quoted(value) + " is not one of " + choices;
}

std::string bad_prefix(std::string_view value) {
  return quoted(value) + " is not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)";
}

std::string bad_listen(std::string_view value) {
  return quoted(value) + " is not host:port (port 0..65535) or off";
}

std::string bad_level(std::string_view value) {
  return quoted(value) + " is not L0 or L1, optionally followed by ,N or ;N (N = 1..999 s)";
}

}  // namespace detail

}  // namespace npuprobe::config
