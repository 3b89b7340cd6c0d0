// How a value reaches a key of the table (keys.h), whatever layer it comes from: the field's
// type decides how text is read, the row adds its range and its own check. The words of every
// problem are checks.h's, so the YAML file, the JSON file and the environment say a bad value
// the same way.
#include <type_traits>

#include "checks.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {
namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::string expected(const char *what, std::string_view text) {
  return std::string("expected ") + what + ", got " + detail::quoted(text);
}

// An integer within the row's range, or the problem.
std::string read_integer(const Key &key, std::string_view text, long long *out) {
  if (!detail::parse_integer(text, out)) return expected("an integer", text);
  if (*out < key.low || *out > key.high) return detail::out_of_range(*out, key.low, key.high);
  return {};
}

}  // namespace

const Key *find_yaml_key(std::string_view path) {
  for (const Key &key : keys()) {
    if (key.in_yaml && path == key.name) return &key;
  }
  return nullptr;
}

const Key *find_env_key(std::string_view name) {
  for (const Key &key : keys()) {
    if (key.env != nullptr && name == key.env) return &key;
  }
  return nullptr;
}

const Key *find_json_key(std::string_view field) {
  for (const Key &key : keys()) {
    if (key.json != nullptr && field == key.json) return &key;
  }
  return nullptr;
}

bool is_yaml_section(std::string_view path) {
  for (const Key &key : keys()) {
    const std::string_view name = key.name;
    if (key.in_yaml && name.size() > path.size() && name.substr(0, path.size()) == path &&
        name[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string set_from_text(const Key &key, Config &config, std::string_view text) {
  return std::visit(
      Overloaded{
          [&](bool *out) -> std::string {
            return detail::parse_bool(text, out) ? std::string() : expected("a boolean", text);
          },
          [&](int *out) -> std::string {
            long long value = 0;
            std::string problem = read_integer(key, text, &value);
            if (problem.empty()) *out = static_cast<int>(value);
            return problem;
          },
          [&](TaskTimeMode *out) -> std::string {
            long long value = 0;
            std::string problem = read_integer(key, text, &value);
            if (problem.empty()) *out = static_cast<TaskTimeMode>(value);
            return problem;
          },
          [&](std::string *out) -> std::string {
            if (key.check != nullptr) {
              std::string problem = key.check(text);
              if (!problem.empty()) return problem;
            }
            if (key.spelling == Spelling::kNonEmptyText && text.empty()) return {};
            *out = std::string(text);
            return {};
          },
          [&](std::vector<std::string> *out) -> std::string {
            if (key.spelling != Spelling::kFilter) return expected("a sequence of strings", text);
            *out = split_filter(text);
            return {};
          },
          [&](base::FormatPreference *out) -> std::string {
            const auto parsed = base::parse_format_preference(text);
            if (!parsed) return detail::not_one_of(text, detail::kFormatChoices);
            *out = *parsed;
            return {};
          },
          [&](base::LogLevel *out) -> std::string {
            return base::parse_log_level(text, out)
                       ? std::string()
                       : detail::not_one_of(text, detail::kLogLevelChoices);
          },
          [&](TaskTimeLevelField out) -> std::string {
            return parse_task_time_level(text, out.level, out.duration_s)
                       ? std::string()
                       : detail::bad_level(text);
          },
          [&](LabelMap *) -> std::string { return expected("a map", text); },
          [&](BucketMap *) -> std::string { return expected("a map", text); },
      },
      key.field(config));
}

std::string set_from_list(const Key &key, Config &config, std::vector<std::string> items) {
  const Field field = key.field(config);
  auto *const *list = std::get_if<std::vector<std::string> *>(&field);
  if (list == nullptr) return "expected a single value, got a sequence";
  **list = std::move(items);
  return {};
}

std::string set_from_integer(const Key &key, Config &config, long long value) {
  return set_from_text(key, config, std::to_string(value));
}

void copy_value(const Key &key, const Config &from, Config &to) {
  const Field source = key.field(const_cast<Config &>(from));  // only read
  const Field target = key.field(to);
  std::visit(
      [&](auto out) {
        using P = decltype(out);
        const P in = std::get<P>(source);
        if constexpr (std::is_same_v<P, TaskTimeLevelField>) {
          *out.level = *in.level;
          *out.duration_s = *in.duration_s;
        } else {
          *out = *in;
        }
      },
      target);
}

std::vector<const Key *> changed_keys(const Config &before, const Config &after) {
  // The accessors take a Config to write through; here both sides are only read.
  Config &a = const_cast<Config &>(before);
  Config &b = const_cast<Config &>(after);
  std::vector<const Key *> changed;
  for (const Key &key : keys()) {
    const Field fa = key.field(a);
    const Field fb = key.field(b);
    const bool same = std::visit(
        [&](auto pa) {
          using P = decltype(pa);
          const P pb = std::get<P>(fb);
          if constexpr (std::is_same_v<P, TaskTimeLevelField>) {
            return *pa.level == *pb.level && *pa.duration_s == *pb.duration_s;
          } else {
            return *pa == *pb;
          }
        },
        fa);
    if (!same) changed.push_back(&key);
  }
  return changed;
}

std::string keys_for_new_processes(const Config &before, const Config &after) {
  std::string names;
  for (const Key *key : changed_keys(before, after)) {
    if (key->applies != Applies::kToNewProcesses) continue;
    names += names.empty() ? key->name : std::string(", ") + key->name;
  }
  return names;
}

Config in_force_after_reload(const Config &running, const Config &fresh) {
  Config in_force = fresh;
  for (const Key *key : changed_keys(running, fresh)) {
    if (key->applies == Applies::kToNewProcesses) copy_value(*key, running, in_force);
  }
  return in_force;
}

std::vector<std::string> environment_variable_names() {
  // The files are named by variables that are not keys themselves; HOME gives prof_dir's
  // default; the registry folder is the CLI's and the preload's alike.
  std::vector<std::string> names = {"NPUPROBE_CONFIG", "SERVICE_PROF_CONFIG_PATH", "HOME",
                                    "NPUPROBE_REGISTRY_DIR"};
  for (const Key &key : keys()) {
    if (key.env != nullptr) names.emplace_back(key.env);
  }
  return names;
}

}  // namespace npuprobe::config
