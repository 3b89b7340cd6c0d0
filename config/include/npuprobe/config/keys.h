// Every configuration key, declared once (config/src/keys.cc). The YAML, msserviceprofiler JSON
// and environment layers, `npuprobe check`, the reload in a running process and the key tables
// of docs/config.md are all driven by this one table, so that a key cannot be accepted by one
// of them and unknown to another. Adding a key: a field in config.h, a row in keys.cc, and the
// code that uses the value; nothing else.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "npuprobe/config/config.h"

namespace npuprobe::config {

// Where a key's value lives in a Config. The alternative says how text becomes a value.
struct TaskTimeLevelField {
  TaskTimeLevel *level;
  int *duration_s;
};
using LabelMap = std::map<std::string, std::string>;
using BucketMap = std::map<std::string, std::vector<double>>;
using Field = std::variant<bool *, int *, std::string *, std::vector<std::string> *,
                           base::FormatPreference *, base::LogLevel *, TaskTimeMode *,
                           TaskTimeLevelField, LabelMap *, BucketMap *>;

// When a changed value takes effect in a process that is already running (`npuprobe restart`).
enum class Applies {
  kAtOnce,           // the reload applies it
  kToNewProcesses,   // it names the process's files or shapes its series: said in a warning
};

// How a file spells the value, beyond what the Field implies.
enum class Spelling {
  kPlain,
  kFilter,        // a ';'-separated string (the full-width one too) or a list of strings
  kNonEmptyText,  // a string; "" keeps the value the lower layers gave (task_time.prof_dir)
};

// msserviceprofiler's own rules for its fields (docs/config.md, "The msserviceprofiler JSON").
enum class JsonRule {
  kPlain,
  kWhenEnabled,           // applies only when the file's `enable` is 1
  kWhenEnabledMinusOneOff,  // the same; -1 means off (0), and 0 itself is refused
};

struct Key {
  const char *name;     // the dotted YAML key; for a variable without a YAML key, its own name
  bool in_yaml;         // NPUPROBE_CONFIG may set it
  const char *env;      // the variable that sets it, or nullptr
  const char *json;     // the msserviceprofiler field that sets it, or nullptr
  JsonRule json_rule;
  Field (*field)(Config &config);
  Spelling spelling;
  long long low, high;  // integers: the accepted range
  Applies applies;
  // For docs/config.md.
  const char *type_text;
  const char *default_text;
  const char *values_text;
  const char *meaning;
  // An extra check of a text value (metric_prefix, exposer.listen): "" or the problem.
  std::string (*check)(std::string_view value);
};

// The table, in the order of docs/config.md.
const std::vector<Key> &keys();

// The row whose YAML key is `path`, whose variable is `name`, whose JSON field is `field`.
const Key *find_yaml_key(std::string_view path);
const Key *find_env_key(std::string_view name);
const Key *find_json_key(std::string_view field);
// True when `path` is a YAML section ("store", "task_time"): some key starts with "<path>.".
bool is_yaml_section(std::string_view path);

// Sets `key` in `config` from a text (an environment value, a YAML or JSON scalar). "" when
// applied, else the problem, worded as every layer words it (checks.h); `config` is unchanged
// then. Booleans take what detail::parse_bool takes.
std::string set_from_text(const Key &key, Config &config, std::string_view text);
// Sets a key of list type (hooks.skip, the filters) from the items of a YAML sequence.
std::string set_from_list(const Key &key, Config &config, std::vector<std::string> items);
// Sets an integer key from a JSON number (msserviceprofiler fields are numbers, not text).
std::string set_from_integer(const Key &key, Config &config, long long value);

// Copies `key`'s value from one snapshot to another.
void copy_value(const Key &key, const Config &from, Config &to);

// The keys whose values differ between two snapshots, in table order.
std::vector<const Key *> changed_keys(const Config &before, const Config &after);
// Their names, ", "-joined, for those a running process cannot apply ("" when none).
std::string keys_for_new_processes(const Config &before, const Config &after);

// What a running process holds after a reload: `fresh`, except that the keys it cannot apply
// (Applies::kToNewProcesses) keep `running`'s values, so the snapshot is always what is in force.
Config in_force_after_reload(const Config &running, const Config &fresh);

// Every variable npuprobe reads: the table's, the file selectors and HOME.
std::vector<std::string> environment_variable_names();

// docs/config.md's tables, rendered from the table (a unit test keeps the doc equal to them).
std::string environment_table_markdown();
std::string yaml_table_markdown();

}  // namespace npuprobe::config
