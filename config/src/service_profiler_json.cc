// The msserviceprofiler JSON layer (SERVICE_PROF_CONFIG_PATH; docs/config.md, "The
// msserviceprofiler JSON").
#include <set>

#include "checks.h"
#include "npuprobe/base/json.h"
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
  // Collect first: `enable` decides whether acl_task_time and npu_memory_usage_freq apply.
  bool enable = false;
  bool have_mode = false, have_hz = false;
  TaskTimeMode mode = TaskTimeMode::kOff;
  int sample_hz = 0;
  for (const json::Member &m : root.members) {
    long long n = 0;
    std::string s;
    if (m.key == "enable") {
      if (m.value.type == Value::Type::kBool) {
        enable = m.value.boolean;
      } else if (layer.integer(m, 0, 1, &n)) {
        enable = n == 1;
      }
    } else if (m.key == "prof_dir") {
      if (layer.string(m, &s)) {
        if (!s.empty()) config.task_time.prof_dir = s;
      }
    } else if (m.key == "acl_task_time") {
      if (layer.integer(m, 0, 2, &n)) {
        mode = static_cast<TaskTimeMode>(n);
        have_mode = true;
      }
    } else if (m.key == "acl_prof_task_time_level") {
      if (layer.string(m, &s)) {
        TaskTimeLevel level;
        int duration = 0;
        if (parse_task_time_level(s, &level, &duration)) {
          config.task_time.level = level;
          config.task_time.level_duration_s = duration;
        } else {
          layer.report(m.value.line, m.key, detail::bad_level(s));
        }
      }
    } else if (m.key == "npu_memory_usage_freq") {
      if (m.value.type == Value::Type::kNumber && m.value.integral && m.value.integer == -1) {
        sample_hz = 0;
        have_hz = true;
      } else if (layer.integer(m, 1, 50, &n)) {
        sample_hz = static_cast<int>(n);
        have_hz = true;
      }
    } else if (m.key == "timelimit") {
      if (layer.integer(m, 0, 7200, &n)) config.task_time.timelimit_s = static_cast<int>(n);
    } else if (m.key == "api_filter") {
      if (layer.string(m, &s)) config.task_time.api_filter = split_filter(s);
    } else if (m.key == "kernel_filter") {
      if (layer.string(m, &s)) config.task_time.kernel_filter = split_filter(s);
    } else if (kIgnored.count(m.key) == 0) {
      layer.report(m.line, m.key, "unknown key (ignored)");
    }
  }
  if (enable) {
    if (have_mode) config.task_time.mode = mode;
    if (have_hz) config.memory.sample_hz = sample_hz;
  }
  return LayerStatus::kApplied;
}

}  // namespace npuprobe::config
