// The msserviceprofiler JSON layer (SERVICE_PROF_CONFIG_PATH; docs/config.md, "The
// msserviceprofiler JSON").
#include <algorithm>
#include <set>

#include "checks.h"
#include "npuprobe/base/json.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {
namespace {

namespace json = base::json;
using json::Value;

class JsonLayer {
 public:
  JsonLayer(const std::string &file, std::vector<Diagnostic> &messages)
      : file_(file), messages_(messages) {}

  void report(int line, const std::string &key, std::string text) {
    messages_.push_back(Diagnostic{file_, line, key, std::move(text)});
  }

  bool integer(const json::Member &m, long long low, long long high, long long *out) {
    const Value &v = m.value;
    if (v.type != Value::Type::kNumber || !v.integral) {
      report(v.line, m.key,
             "expected an integer, got " +
                 (v.type == Value::Type::kNumber || v.type == Value::Type::kString
                      ? detail::quoted(v.text)
                      : std::string(json::describe(v.type))));
      return false;
    }
    if (v.integer < low || v.integer > high) {
      report(v.line, m.key, detail::out_of_range(v.integer, low, high));
      return false;
    }
    *out = v.integer;
    return true;
  }

  bool string(const json::Member &m, std::string *out) {
    if (m.value.type != Value::Type::kString) {
      report(m.value.line, m.key,
             std::string("expected a string, got ") +
                 (m.value.type == Value::Type::kNumber ? detail::quoted(m.value.text)
                                                       : json::describe(m.value.type)));
      return false;
    }
    *out = m.value.text;
    return true;
  }

  // One field onto `config`: integers for integer keys (the row's range; -1 = 0 where the rule
  // says so, when 0 itself is refused), strings for the rest, read as the table reads text.
  bool apply(const Key &key, const json::Member &m, Config &config) {
    const Field field = key.field(config);
    if (std::holds_alternative<int *>(field) || std::holds_alternative<TaskTimeMode *>(field)) {
      const bool minus_one_off = key.json_rule == JsonRule::kWhenEnabledMinusOneOff;
      if (minus_one_off && m.value.type == Value::Type::kNumber && m.value.integral &&
          m.value.integer == -1) {
        return set_from_integer(key, config, 0).empty();
      }
      long long n = 0;
      if (!integer(m, minus_one_off ? std::max(1LL, key.low) : key.low, key.high, &n)) {
        return false;
      }
      return set_from_integer(key, config, n).empty();
    }
    std::string s;
    if (!string(m, &s)) return false;
    std::string problem = set_from_text(key, config, s);
    if (problem.empty()) return true;
    report(m.value.line, m.key, std::move(problem));
    return false;
  }

 private:
  const std::string &file_;
  std::vector<Diagnostic> &messages_;
};

}  // namespace

LayerStatus apply_service_profiler_json_text(std::string_view text, const std::string &file,
                                             Config &config, std::vector<Diagnostic> &messages) {
  Value root;
  json::ParseError error;
  if (!json::parse(text, &root, &error)) {
    messages.push_back(Diagnostic{file, error.line, "",
                                  "malformed JSON, file ignored: " + error.message + " (column " +
                                      std::to_string(error.column) + ")"});
    return LayerStatus::kMalformed;
  }
  if (root.type != Value::Type::kObject) {
    messages.push_back(Diagnostic{file, root.line, "",
                                  std::string("malformed JSON, file ignored: expected an "
                                              "object at the top level, got ") +
                                      json::describe(root.type)});
    return LayerStatus::kMalformed;
  }
  // msserviceprofiler keys npuprobe does not use (not reported).
  static const std::set<std::string> kIgnored = {"profiler_level", "host_system_usage_freq",
                                                 "domain"};
  JsonLayer layer(file, messages);
  // `enable` (msserviceprofiler's own switch) decides whether the gated fields apply, wherever
  // it stands in the file: they are read into `gated` first, and copied over when it is 1.
  bool enable = false;
  Config gated = config;
  std::vector<const Key *> gated_keys;
  for (const json::Member &m : root.members) {
    long long n = 0;
    std::string s;
    const Key *key = find_json_key(m.key);
    if (m.key == "enable") {
      if (m.value.type == Value::Type::kBool) {
        enable = m.value.boolean;
      } else if (layer.integer(m, 0, 1, &n)) {
        enable = n == 1;
      }
    } else if (key == nullptr) {
      if (kIgnored.count(m.key) == 0) layer.report(m.line, m.key, "unknown key (ignored)");
    } else if (key->json_rule == JsonRule::kPlain) {
      layer.apply(*key, m, config);
    } else if (layer.apply(*key, m, gated)) {
      gated_keys.push_back(key);
    }
  }
  if (enable) {
    for (const Key *key : gated_keys) copy_value(*key, gated, config);
  }
  return LayerStatus::kApplied;
}

}  // namespace npuprobe::config
