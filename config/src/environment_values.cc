#include "npuprobe/config/environment_values.h"

#include "checks.h"
#include "npuprobe/config/keys.h"

namespace npuprobe::config {
namespace {

using namespace detail;

// What every refused value but NPUPROBE_DISABLE's leads to: the layers below keep theirs.
constexpr const char kIgnored[] = "; ignored";
constexpr const char kDisable[] = "NPUPROBE_DISABLE";

std::string not_a_boolean(std::string_view value) {
  return quoted(value) + " is not one of " + kBooleanChoices;
}

}  // namespace

bool disabled_by(const char *value) noexcept {
  if (value == nullptr || value[0] == '\0') return false;
  bool disabled = true;
  return parse_bool(value, &disabled) ? disabled : true;
}

EnvironmentValues apply_environment_values(const EnvironmentLookup &lookup, Config &config) {
  EnvironmentValues result;
  for (const Key &key : keys()) {
    if (key.env == nullptr) continue;
    const char *value = lookup(key.env);
    if (value == nullptr || value[0] == '\0') continue;
    const std::string_view name = key.env;
    const bool is_boolean = std::holds_alternative<bool *>(key.field(config));
    // set_from_text leaves the key untouched when it refuses the value.
    std::string problem = set_from_text(key, config, value);
    if (problem.empty()) {
      result.used.emplace_back(name);
    } else if (name == kDisable) {
      // A refused NPUPROBE_DISABLE still disables (disabled_by): the value is applied.
      config.disabled = true;
      result.used.emplace_back(name);
      result.problems.push_back(Diagnostic{
          "environment", 0, key.env,
          not_a_boolean(value) + "; taken as 1: npuprobe is disabled (unset it or set 0 to "
                                 "instrument)"});
    } else {
      // Booleans are said as the choices (a variable has no YAML type to name).
      if (is_boolean) problem = not_a_boolean(value);
      result.problems.push_back(Diagnostic{"environment", 0, key.env, problem + kIgnored});
    }
    // NPUPROBE_DISABLE also decides `enabled`: 0 instruments even when a file says
    // `enabled: false`, as the variable is the operator's last word.
    if (name == kDisable) config.enabled = !config.disabled;
  }
  return result;
}

}  // namespace npuprobe::config
