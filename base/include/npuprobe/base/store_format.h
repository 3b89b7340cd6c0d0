// Which store file format the user asked for (NPUPROBE_STORE_FORMAT, store.format, --format):
// in base because the config layer reads it and must not depend on the store; the formats
// themselves (store::StoreFormat, the file layouts) stay in the store.
#pragma once

#include <optional>
#include <string_view>

namespace npuprobe::base {

// A fixed format, or follow Python's files already in the folder.
enum class FormatPreference { kAuto, kV1, kV2 };

std::string_view to_string(FormatPreference preference);
// "auto" | "v1" | "v2"; nullopt otherwise.
std::optional<FormatPreference> parse_format_preference(std::string_view text);

}  // namespace npuprobe::base
