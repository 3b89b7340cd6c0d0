#include "npuprobe/config/environment_values.h"

#include "checks.h"

namespace npuprobe::config {
namespace {

using namespace detail;

// What every refused value but NPUPROBE_DISABLE's leads to: the layers below keep theirs.
constexpr const char kIgnored[] = "; ignored";

std::string not_a_boolean(std::string_view value) {
  return quoted(value) + " is not one of " + kBooleanChoices;
}

class Reader {
 public:
  Reader(const EnvironmentLookup &lookup, EnvironmentLayer &layer)
      : lookup_(lookup), layer_(layer) {}

  // The value of `name`, or nullptr when unset or empty.
  const char *get(const char *name) const {
    const char *value = lookup_(name);
    return value != nullptr && value[0] != '\0' ? value : nullptr;
  }
  template <typename T>
  void use(const char *name, std::optional<T> &slot, T value) {
    slot = std::move(value);
    layer_.used.push_back(name);
  }
  void refuse(const char *name, std::string why) {
    layer_.problems.push_back(Diagnostic{"environment", 0, name, std::move(why)});
  }
  void boolean(const char *name, std::optional<bool> &slot) {
    const char *v = get(name);
    bool value = false;
    if (v == nullptr) return;
    if (parse_bool(v, &value)) {
      use(name, slot, value);
    } else {
      refuse(name, not_a_boolean(v) + kIgnored);
    }
  }

 private:
  const EnvironmentLookup &lookup_;
  EnvironmentLayer &layer_;
};

}  // namespace

bool disabled_by(const char *value) noexcept {
  if (value == nullptr || value[0] == '\0') return false;
  bool disabled = true;
  return parse_bool(value, &disabled) ? disabled : true;
}

EnvironmentLayer read_environment_layer(const EnvironmentLookup &lookup) {
  EnvironmentLayer layer;
  Reader r(lookup, layer);
  if (const char *v = r.get("NPUPROBE_DISABLE")) {
    bool disabled = false;
    if (parse_bool(v, &disabled)) {
      r.use("NPUPROBE_DISABLE", layer.disabled, disabled);
    } else {
      r.use("NPUPROBE_DISABLE", layer.disabled, disabled_by(v));
      r.refuse("NPUPROBE_DISABLE",
               not_a_boolean(v) + "; taken as 1: npuprobe is disabled (unset it or set 0 to "
                                  "instrument)");
    }
  }
  if (const char *v = r.get("PROMETHEUS_MULTIPROC_DIR")) {
    r.use("PROMETHEUS_MULTIPROC_DIR", layer.store_dir, std::string(v));
  }
  if (const char *v = r.get("NPUPROBE_STORE_FORMAT")) {
    if (auto parsed = base::parse_format_preference(v)) {
      r.use("NPUPROBE_STORE_FORMAT", layer.store_format, *parsed);
    } else {
      r.refuse("NPUPROBE_STORE_FORMAT", not_one_of(v, kFormatChoices) + kIgnored);
    }
  }
  if (const char *v = r.get("NPUPROBE_FLUSH_MS")) {
    long long ms = 0;
    if (!parse_integer(v, &ms)) {
      r.refuse("NPUPROBE_FLUSH_MS", "expected an integer, got " + quoted(v) + kIgnored);
    } else if (ms < 10 || ms > 600000) {
      r.refuse("NPUPROBE_FLUSH_MS", out_of_range(ms, 10, 600000) + kIgnored);
    } else {
      r.use("NPUPROBE_FLUSH_MS", layer.flush_interval_ms, static_cast<int>(ms));
    }
  }
  if (const char *v = r.get("NPUPROBE_LISTEN")) {
    if (valid_listen(v)) {
      r.use("NPUPROBE_LISTEN", layer.listen, std::string(v));
    } else {
      r.refuse("NPUPROBE_LISTEN", bad_listen(v) + kIgnored);
    }
  }
  if (const char *v = r.get("NPUPROBE_LOG_LEVEL")) {
    base::LogLevel level = base::LogLevel::kInfo;
    if (base::parse_log_level(v, &level)) {
      r.use("NPUPROBE_LOG_LEVEL", layer.log_level, level);
    } else {
      r.refuse("NPUPROBE_LOG_LEVEL", not_one_of(v, kLogLevelChoices) + kIgnored);
    }
  }
  if (const char *v = r.get("VLLM_DP_RANK")) r.use("VLLM_DP_RANK", layer.dp, std::string(v));
  r.boolean("NPUPROBE_OP_LABEL", layer.op_label);
  r.boolean("NPUPROBE_ATTRIBUTION", layer.attribution);
  return layer;
}

}  // namespace npuprobe::config
