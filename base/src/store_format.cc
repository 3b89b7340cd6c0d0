#include "npuprobe/base/store_format.h"

namespace npuprobe::base {

std::string_view to_string(FormatPreference preference) {
  switch (preference) {
    case FormatPreference::kAuto:
      return "auto";
    case FormatPreference::kV1:
      return "v1";
    case FormatPreference::kV2:
      return "v2";
  }
  return "unknown";
}

std::optional<FormatPreference> parse_format_preference(std::string_view text) {
  if (text == "auto") return FormatPreference::kAuto;
  if (text == "v1") return FormatPreference::kV1;
  if (text == "v2") return FormatPreference::kV2;
  return std::nullopt;
}

}  // namespace npuprobe::base
