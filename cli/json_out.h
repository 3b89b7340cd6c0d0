// `--json` output of the commands (check, status, gc): one JSON object per run on stdout, built
// field by field, with strings escaped by base's one JSON string writer (UTF-8 kept, any other
// byte as \u00XX), so that whatever a record or a file name holds, the output parses.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/base/json_string.h"

namespace npuprobe::cli {

class JsonObject {
 public:
  JsonObject &text(std::string_view key, std::string_view value) {
    name(key);
    base::append_json_string(out_, value, base::JsonStringStyle::kUtf8);
    return *this;
  }
  JsonObject &number(std::string_view key, long long value) {
    name(key);
    out_ += std::to_string(value);
    return *this;
  }
  // A number, or null when absent or not finite (JSON has no NaN or Inf).
  JsonObject &real(std::string_view key, std::optional<double> value) {
    name(key);
    if (!value || !std::isfinite(*value)) {
      out_ += "null";
    } else {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", *value);
      out_ += text;
    }
    return *this;
  }
  JsonObject &boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  // `value` is JSON already (an object or an array built here).
  JsonObject &raw(std::string_view key, const std::string &value) {
    name(key);
    out_ += value;
    return *this;
  }
  JsonObject &texts(std::string_view key, const std::vector<std::string> &values) {
    std::string array = "[";
    for (const std::string &v : values) {
      if (array.size() > 1) array += ",";
      base::append_json_string(array, v, base::JsonStringStyle::kUtf8);
    }
    return raw(key, array + "]");
  }
  std::string str() const { return out_ + "}"; }

 private:
  void name(std::string_view key) {
    out_ += out_.size() > 1 ? "," : "";
    base::append_json_string(out_, key, base::JsonStringStyle::kUtf8);
    out_ += ":";
  }
  std::string out_ = "{";
};

// "[a,b,...]" of JSON values.
inline std::string json_array(const std::vector<std::string> &values) {
  std::string out = "[";
  for (const std::string &v : values) out += (out.size() > 1 ? "," : "") + v;
  return out + "]";
}

}  // namespace npuprobe::cli
