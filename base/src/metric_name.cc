#include "npuprobe/base/metric_name.h"

namespace npuprobe::base {
namespace {

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool is_valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_ascii_letter(c) || c == '_' || c == ':' || (i > 0 && is_ascii_digit(c));
    if (!ok) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_ascii_letter(c) || c == '_' || (i > 0 && is_ascii_digit(c));
    if (!ok) return false;
  }
  return true;
}

}  // namespace npuprobe::base
