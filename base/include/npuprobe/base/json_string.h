// npuprobe's one JSON string writer: a byte string as a JSON string literal that is valid JSON
// whatever the bytes are (a label value, a file name, a truncated symbol), for the store's entry
// keys (store/json_key.h) and the sites files (attribution/sites_file.h).
//
// Both styles escape '"', '\\', the control characters and DEL alike; they differ where the two
// files' readers differ, and each output is pinned by tests.
#pragma once

#include <string>
#include <string_view>

namespace npuprobe::base {

enum class JsonStringStyle {
  // Byte-identical to Python's json.dumps (ensure_ascii=True): every character beyond ASCII as
  // \uXXXX (a surrogate pair above U+FFFF). A key is compared byte for byte with the keys
  // prometheus_client writes, so it must be what Python would write; bytes that are not UTF-8
  // have no Python spelling and become U+FFFD (\ufffd).
  kPythonAscii,
  // Readable: well-formed UTF-8 passes through unescaped, and a byte that is not part of it (a
  // Latin-1 file name) is written as \u00XX, so it reads back as that code point.
  kUtf8,
};

// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string &out, std::string_view text, JsonStringStyle style);

}  // namespace npuprobe::base
