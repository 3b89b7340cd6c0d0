// docs/config.md's two key tables, rendered from the table (keys.h). The unit test
// config_keys_doc_test keeps the doc equal to this text, so the doc cannot drift from what the
// loaders accept.
#include "npuprobe/config/keys.h"

namespace npuprobe::config {
namespace {

std::string code(std::string_view name) { return "`" + std::string(name) + "`"; }

// The accepted values as the tables say them: the row's own words, else its integer range.
std::string values(const Key &key) {
  if (key.values_text[0] != '\0') return key.values_text;
  if (key.low != 0 || key.high != 0) {
    return std::to_string(key.low) + ".." + std::to_string(key.high);
  }
  return "";
}

std::string row(std::initializer_list<std::string> cells) {
  std::string line = "|";
  for (const std::string &cell : cells) line += " " + cell + " |";
  return line + "\n";
}

}  // namespace

std::string environment_table_markdown() {
  std::string out = "| variable | key it sets | values | `npuprobe restart` |\n"
                    "| --- | --- | --- | --- |\n";
  for (const Key &key : keys()) {
    if (key.env == nullptr) continue;
    std::string kind = key.type_text;
    std::string shown = values(key);
    if (kind == "bool" && shown.empty()) shown = "a boolean";
    if (kind == "int") shown = "integer " + shown;
    out += row({code(key.env), code(key.name), shown,
                key.applies == Applies::kAtOnce ? "applies" : "new processes"});
  }
  out += row({code("HOME"), "default of `task_time.prof_dir`", "`$HOME/.ms_service_profiler`",
              "new processes"});
  return out;
}

std::string yaml_table_markdown() {
  std::string out = "| key | type | default | range / values | meaning | `npuprobe restart` |\n"
                    "| --- | --- | --- | --- | --- | --- |\n";
  for (const Key &key : keys()) {
    if (!key.in_yaml) continue;
    out += row({code(key.name), key.type_text, key.default_text, values(key), key.meaning,
                key.applies == Applies::kAtOnce ? "applies" : "new processes"});
  }
  return out;
}

}  // namespace npuprobe::config
