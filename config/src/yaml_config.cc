// The YAML layer (NPUPROBE_CONFIG). yaml-cpp builds the tree (its exceptions never leave this
// file); every key is checked here so that messages name the dotted key and the line.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <new>

#include "checks.h"
#include "npuprobe/config/loaders.h"
#include "npuprobe/base/metric_name.h"

namespace npuprobe::config {
namespace {

using detail::quoted;

class YamlLayer {
 public:
  YamlLayer(const std::string &file, Config &config, std::vector<Diagnostic> &messages)
      : file_(file), config_(config), messages_(messages) {}

  void apply_root(const YAML::Node &root) {
    each(root, "", [&](const std::string &key, const std::string &path, const YAML::Node &v,
                       int line) {
      if (key == "enabled") {
        boolean(v, path, line, &config_.enabled);
      } else if (key == "metric_prefix") {
        std::string s;
        if (string(v, path, line, &s)) {
          if (valid_metric_prefix(s)) {
            config_.metric_prefix = s;
          } else {
            report(line, path, detail::bad_prefix(s));
          }
        }
      } else if (key == "labels") {
        labels(v, path, line);
      } else if (key == "store") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          if (k == "dir") {
            string(n, p, l, &config_.store.dir);
          } else if (k == "format") {
            std::string s;
            if (string(n, p, l, &s)) {
              if (auto parsed = base::parse_format_preference(s)) {
                config_.store.format = *parsed;
              } else {
                report(l, p, detail::not_one_of(s, detail::kFormatChoices));
              }
            }
          } else if (k == "flush_interval_ms") {
            integer(n, p, l, 10, 600000, &config_.store.flush_interval_ms);
          } else {
            return false;
          }
          return true;
        });
        return true;
      } else if (key == "exposer") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          if (k != "listen") return false;
          std::string s;
          if (string(n, p, l, &s)) {
            if (detail::valid_listen(s)) {
              config_.exposer.listen = s;
            } else {
              report(l, p, detail::bad_listen(s));
            }
          }
          return true;
        });
        return true;
      } else if (key == "phases") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          if (k != "min_launches_per_step") return false;
          integer(n, p, l, 0, 1000000, &config_.phases.min_launches_per_step);
          return true;
        });
        return true;
      } else if (key == "hooks") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          HooksConfig &h = config_.hooks;
          if (k == "launch") {
            boolean(n, p, l, &h.launch);
          } else if (k == "sync") {
            boolean(n, p, l, &h.sync);
          } else if (k == "memory") {
            boolean(n, p, l, &h.memory);
          } else if (k == "dlsym") {
            boolean(n, p, l, &h.dlsym);
          } else if (k == "skip") {
            string_list(n, p, l, &h.skip);
          } else {
            return false;
          }
          return true;
        });
        return true;
      } else if (key == "buckets") {
        buckets(v, path, line);
      } else if (key == "memory") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          if (k != "sample_hz") return false;
          integer(n, p, l, 0, 50, &config_.memory.sample_hz);
          return true;
        });
        return true;
      } else if (key == "attribution") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          return attribution(k, p, n, l);
        });
        return true;
      } else if (key == "task_time") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          return task_time(k, p, n, l);
        });
        return true;
      } else if (key == "logging") {
        section(v, path, line, [&](const std::string &k, const std::string &p,
                                   const YAML::Node &n, int l) {
          if (k == "level") {
            std::string s;
            if (string(n, p, l, &s) && !base::parse_log_level(s, &config_.logging.level)) {
              report(l, p, detail::not_one_of(s, detail::kLogLevelChoices));
            }
          } else if (k == "file") {
            string(n, p, l, &config_.logging.file);
          } else {
            return false;
          }
          return true;
        });
        return true;
      } else if (key == "op_label") {
        boolean(v, path, line, &config_.op_label);
      } else if (key == "dp") {
        string(v, path, line, &config_.dp);
      } else {
        return false;
      }
      return true;
    });
  }

 private:
  using Handler = std::function<bool(const std::string &key, const std::string &path,
                                     const YAML::Node &value, int line)>;

  void report(int line, const std::string &key, std::string text) {
    messages_.push_back(Diagnostic{file_, line, key, std::move(text)});
  }

  static int line_of(const YAML::Node &node, int fallback) {
    const YAML::Mark mark = node.Mark();
    return mark.line >= 0 ? mark.line + 1 : fallback;
  }

  static std::string describe(const YAML::Node &node) {
    switch (node.Type()) {
      case YAML::NodeType::Scalar: return quoted(node.Scalar());
      case YAML::NodeType::Sequence: return "a sequence";
      case YAML::NodeType::Map: return "a map";
      default: return "null";
    }
  }

  void wrong_type(const YAML::Node &node, const std::string &path, int line,
                  const char *expected) {
    report(line, path, std::string("expected ") + expected + ", got " + describe(node));
  }

  // Calls `handler` for every key of the map `node`; reports keys it returns false for.
  void each(const YAML::Node &node, const std::string &prefix, const Handler &handler) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: `it->` is a temporary proxy, references into it would dangle.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const int key_line = line_of(key, 0);
      if (!key.IsScalar()) {
        report(key_line, prefix.empty() ? std::string("(key)") : prefix,
               "keys must be plain strings, got " + describe(key));
        continue;
      }
      const std::string path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
      // An empty value ("key:") is marked at the next token: report it on the key's line.
      const int value_line = value.IsNull() ? key_line : line_of(value, key_line);
      if (!handler(key.Scalar(), path, value, value_line)) {
        report(key_line, path, "unknown key");
      }
    }
  }

  void section(const YAML::Node &node, const std::string &path, int line,
               const Handler &handler) {
    if (node.IsNull()) return;  // "store:" with nothing under it
    if (!node.IsMap()) return wrong_type(node, path, line, "a map");
    each(node, path, handler);
  }

  bool attribution(const std::string &k, const std::string &p, const YAML::Node &n, int l) {
    AttributionConfig &a = config_.attribution;
    if (k == "enabled") {
      boolean(n, p, l, &a.enabled);
    } else if (k == "slow_launch_us") {
      integer(n, p, l, 1, 10000000, &a.slow_launch_us);
    } else if (k == "sync_captures_per_s") {
      integer(n, p, l, 0, 1000000, &a.sync_captures_per_s);
    } else if (k == "max_depth") {
      integer(n, p, l, 1, 64, &a.max_depth);
    } else if (k == "max_sites") {
      integer(n, p, l, 1, 1000, &a.max_sites);
    } else if (k == "skip_modules") {
      string_list(n, p, l, &a.skip_modules);
    } else {
      return false;
    }
    return true;
  }

  bool scalar(const YAML::Node &node, const std::string &path, int line, const char *expected) {
    if (node.IsScalar()) return true;
    wrong_type(node, path, line, expected);
    return false;
  }

  bool boolean(const YAML::Node &node, const std::string &path, int line, bool *out) {
    if (!scalar(node, path, line, "a boolean")) return false;
    if (!detail::parse_bool(node.Scalar(), out)) {
      wrong_type(node, path, line, "a boolean");
      return false;
    }
    return true;
  }

  bool integer(const YAML::Node &node, const std::string &path, int line, long long low,
               long long high, int *out) {
    if (!scalar(node, path, line, "an integer")) return false;
    long long value = 0;
    if (!detail::parse_integer(node.Scalar(), &value)) {
      wrong_type(node, path, line, "an integer");
      return false;
    }
    if (value < low || value > high) {
      report(line, path, detail::out_of_range(value, low, high));
      return false;
    }
    *out = static_cast<int>(value);
    return true;
  }

  bool string(const YAML::Node &node, const std::string &path, int line, std::string *out) {
    if (node.IsNull()) {
      out->clear();
      return true;
    }
    if (!scalar(node, path, line, "a string")) return false;
    *out = node.Scalar();
    return true;
  }

  void string_list(const YAML::Node &node, const std::string &path, int line,
                   std::vector<std::string> *out) {
    if (node.IsNull()) {
      out->clear();
      return;
    }
    if (!node.IsSequence()) return wrong_type(node, path, line, "a sequence of strings");
    std::vector<std::string> values;
    std::size_t index = 0;
    for (const YAML::Node &item : node) {
      const std::string item_path = path + "[" + std::to_string(index++) + "]";
      const int item_line = line_of(item, line);
      if (!item.IsScalar()) return wrong_type(item, item_path, item_line, "a string");
      if (item.Scalar().empty()) return report(item_line, item_path, "must not be empty");
      values.push_back(item.Scalar());
    }
    *out = std::move(values);
  }

  // ";"-separated string or a sequence of strings.
  void filter(const YAML::Node &node, const std::string &path, int line,
              std::vector<std::string> *out) {
    if (node.IsScalar()) {
      *out = split_filter(node.Scalar());
    } else {
      string_list(node, path, line, out);
    }
  }

  void labels(const YAML::Node &node, const std::string &path, int line) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return wrong_type(node, path, line, "a map");
    each(node, path, [&](const std::string &key, const std::string &p, const YAML::Node &v,
                         int l) {
      std::string value;
      if (!base::is_valid_label_name(key)) {
        report(l, p, quoted(key) + " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, "
                                   "not starting with __)");
      } else if (detail::is_reserved_label_name(key)) {
        report(l, p, quoted(key) + " is a label npuprobe's metrics already carry (" +
                         std::string(detail::kReservedLabelList) + ")");
      } else if (string(v, p, l, &value)) {
        config_.labels[key] = value;
      }
      return true;
    });
  }

  void buckets(const YAML::Node &node, const std::string &path, int line) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return wrong_type(node, path, line, "a map");
    each(node, path, [&](const std::string &family, const std::string &p, const YAML::Node &v,
                         int l) {
      if (!base::is_valid_metric_name(family)) {
        report(l, p, quoted(family) + " is not a valid metric family name "
                                      "([a-zA-Z_:][a-zA-Z0-9_:]*)");
        return true;
      }
      if (!v.IsSequence()) {
        wrong_type(v, p, l, "a sequence of numbers");
        return true;
      }
      std::vector<double> edges;
      std::size_t index = 0;
      for (const YAML::Node &item : v) {
        const std::string item_path = p + "[" + std::to_string(index++) + "]";
        const int item_line = line_of(item, l);
        double edge = 0;
        if (!item.IsScalar() || !detail::parse_number(item.Scalar(), &edge)) {
          wrong_type(item, item_path, item_line, "a number");
          return true;
        }
        if (!std::isfinite(edge)) {
          report(item_line, item_path,
                 quoted(item.Scalar()) + " is not finite (+Inf is always the last bucket)");
          return true;
        }
        if (!edges.empty() && edge <= edges.back()) {
          report(item_line, p,
                 "buckets must be strictly increasing: " + detail::number_text(edge) +
                     " follows " + detail::number_text(edges.back()));
          return true;
        }
        edges.push_back(edge);
      }
      if (edges.empty()) {
        report(l, p, "must list at least one bucket");
        return true;
      }
      config_.buckets[family] = std::move(edges);
      return true;
    });
  }

  bool task_time(const std::string &key, const std::string &path, const YAML::Node &node,
                 int line) {
    TaskTimeConfig &t = config_.task_time;
    if (key == "mode") {
      int mode = 0;
      if (integer(node, path, line, 0, 2, &mode)) t.mode = static_cast<TaskTimeMode>(mode);
    } else if (key == "level") {
      std::string s;
      if (string(node, path, line, &s) &&
          !parse_task_time_level(s, &t.level, &t.level_duration_s)) {
        report(line, path, detail::bad_level(s));
      }
    } else if (key == "prof_dir") {
      std::string s;
      if (string(node, path, line, &s) && !s.empty()) t.prof_dir = s;
    } else if (key == "timelimit_s") {
      integer(node, path, line, 0, 7200, &t.timelimit_s);
    } else if (key == "api_filter") {
      filter(node, path, line, &t.api_filter);
    } else if (key == "kernel_filter") {
      filter(node, path, line, &t.kernel_filter);
    } else if (key == "mspti_buffers") {
      integer(node, path, line, 1, 1024, &t.mspti_buffers);
    } else {
      return false;
    }
    return true;
  }

  const std::string &file_;
  Config &config_;
  std::vector<Diagnostic> &messages_;
};

}  // namespace

LayerStatus apply_yaml_text(std::string_view text, const std::string &file, Config &config,
                            std::vector<Diagnostic> &messages) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception &e) {
    messages.push_back(Diagnostic{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                                  "malformed YAML, file ignored: " + e.msg});
    return LayerStatus::kMalformed;
  } catch (const std::exception &e) {
    messages.push_back(Diagnostic{file, 0, "", std::string("malformed YAML, file ignored: ") +
                                                   e.what()});
    return LayerStatus::kMalformed;
  }
  if (root.IsNull()) return LayerStatus::kApplied;  // an empty file
  if (!root.IsMap()) {
    messages.push_back(Diagnostic{file, root.Mark().line >= 0 ? root.Mark().line + 1 : 0, "",
                                  "malformed YAML, file ignored: expected a map at the top "
                                  "level"});
    return LayerStatus::kMalformed;
  }
  // Apply onto a copy: an exception half-way (yaml-cpp's iterators may throw on odd trees)
  // leaves `config` untouched.
  Config copy = config;
  const std::size_t first_message = messages.size();
  try {
    YamlLayer(file, copy, messages).apply_root(root);
  } catch (const std::exception &e) {
    messages.resize(first_message);
    messages.push_back(Diagnostic{file, 0, "", std::string("malformed YAML, file ignored: ") +
                                                   e.what()});
    return LayerStatus::kMalformed;
  }
  config = std::move(copy);
  return LayerStatus::kApplied;
}

}  // namespace npuprobe::config
