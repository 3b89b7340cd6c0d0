// The key table (config/keys.h) drives the layers, the reload and the doc: every row must be
// reachable the ways it declares, and nowhere else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "npuprobe/config/environment_values.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A value each key accepts that differs from its default (by the field's type).
std::string other_value(const Key &key) {
  const std::string name = key.name;
  if (name == "exposer.listen") return "0.0.0.0:1";
  if (name == "metric_prefix") return "other_";
  if (name == "store.format") return "v1";
  if (name == "logging.level") return "debug";
  if (name == "task_time.level") return "L1,5";
  if (name == "task_time.mode") return "2";
  Config c;
  return std::visit(
      [&](auto field) -> std::string {
        using P = decltype(field);
        if constexpr (std::is_same_v<P, bool *>) return *field ? "false" : "true";
        if constexpr (std::is_same_v<P, int *>) {
          return std::to_string(key.low == *field ? key.low + 1 : key.low);
        }
        if constexpr (std::is_same_v<P, std::string *>) return "x";
        if constexpr (std::is_same_v<P, std::vector<std::string> *>) {
          return key.spelling == Spelling::kFilter ? "a;b" : "";  // lists: config_test.cc
        }
        return "";
      },
      key.field(c));
}

TEST(KeysTest, NamesAreUniqueAndEveryKeyIsReachable) {
  std::set<std::string> names, variables, fields;
  for (const Key &key : keys()) {
    EXPECT_TRUE(names.insert(key.name).second) << key.name;
    if (key.env != nullptr) {
      EXPECT_TRUE(variables.insert(key.env).second) << key.env;
    }
    if (key.json != nullptr) {
      EXPECT_TRUE(fields.insert(key.json).second) << key.json;
    }
    EXPECT_TRUE(key.in_yaml || key.env != nullptr) << key.name << " cannot be set";
    EXPECT_NE(std::string(key.meaning), "") << key.name;
    if (key.in_yaml) {
      EXPECT_EQ(find_yaml_key(key.name), &key);
    }
    if (key.env != nullptr) {
      EXPECT_EQ(find_env_key(key.env), &key);
    }
    if (key.json != nullptr) {
      EXPECT_EQ(find_json_key(key.json), &key);
    }
  }
}

// Each scalar key set in YAML, and through its variable, changes exactly that key.
TEST(KeysTest, EveryScalarKeyIsSetByItsLayersAndOnlyItself) {
  for (const Key &key : keys()) {
    const std::string value = other_value(key);
    if (value.empty()) continue;  // maps: their own tests in config_test.cc
    if (key.in_yaml) {
      const std::string name = key.name;
      const std::size_t dot = name.find('.');
      const std::string text = dot == std::string::npos
                                   ? name + ": \"" + value + "\"\n"
                                   : name.substr(0, dot) + ":\n  " + name.substr(dot + 1) +
                                         ": \"" + value + "\"\n";
      Config config;
      std::vector<Diagnostic> messages;
      ASSERT_EQ(apply_yaml_text(text, "t.yaml", config, messages), LayerStatus::kApplied);
      EXPECT_THAT(messages, IsEmpty()) << text;
      std::vector<std::string> changed;
      for (const Key *k : changed_keys(Config(), config)) changed.push_back(k->name);
      EXPECT_THAT(changed, ElementsAre(key.name)) << text;
    }
    if (key.env != nullptr) {
      Config config;
      const std::string variable = key.env;
      const EnvironmentValues values = apply_environment_values(
          [&](const char *name) { return variable == name ? value.c_str() : nullptr; }, config);
      EXPECT_THAT(values.problems, IsEmpty()) << variable;
      EXPECT_THAT(values.used, ElementsAre(variable));
      std::set<std::string> changed;
      for (const Key *k : changed_keys(Config(), config)) changed.insert(k->name);
      EXPECT_EQ(changed.count(key.name), 1u) << variable;
    }
  }
}

TEST(KeysTest, AReloadKeepsWhatARunningProcessCannotApply) {
  Config running, fresh;
  fresh.logging.level = base::LogLevel::kDebug;
  fresh.phases.min_launches_per_step = 3;
  fresh.metric_prefix = "other_";
  fresh.task_time.level = TaskTimeLevel::kL1;
  fresh.generation = 2;
  EXPECT_EQ(keys_for_new_processes(running, fresh), "metric_prefix, task_time.level");
  const Config in_force = in_force_after_reload(running, fresh);
  EXPECT_EQ(in_force.logging.level, base::LogLevel::kDebug);
  EXPECT_EQ(in_force.phases.min_launches_per_step, 3);
  EXPECT_EQ(in_force.metric_prefix, running.metric_prefix);
  EXPECT_EQ(in_force.task_time.level, TaskTimeLevel::kL0);
  EXPECT_EQ(in_force.generation, 2u);
  // The next reload with the same file still says so: the process still runs the old values.
  EXPECT_EQ(keys_for_new_processes(in_force, fresh), "metric_prefix, task_time.level");
}

// With no file named, the preload's snapshot is the loader's, key for key.
TEST(KeysTest, TheEnvironmentAloneLoadsAsWithTheLoader) {
  Environment environment;
  environment.vars = {{"NPUPROBE_FLUSH_MS", "250"},  {"NPUPROBE_OP_LABEL", "yes"},
                      {"NPUPROBE_LISTEN", "bad"},    {"VLLM_DP_RANK", "2"},
                      {"HOME", "/home/u"},           {"NPUPROBE_DISABLE", "0"}};
  const LoadResult alone = load_environment_only(environment);
  const LoadResult loader = load_config(environment);
  EXPECT_THAT(changed_keys(alone.config, loader.config), IsEmpty());
  EXPECT_EQ(alone.message_strings(), loader.message_strings());
  EXPECT_EQ(alone.config.sources, loader.config.sources);
  EXPECT_EQ(alone.config.generation, 1u);
  EXPECT_EQ(alone.config.task_time.prof_dir, "/home/u/.ms_service_profiler");
}

// The example file shows every YAML key (set to its default, or commented out where the default
// is computed), in its section.
TEST(KeysTest, TheExampleShowsEveryKey) {
  std::ifstream in(NPUPROBE_CONFIG_EXAMPLE);
  std::stringstream text;
  text << in.rdbuf();
  std::string section;
  std::set<std::string> shown;
  std::string line;
  while (std::getline(text, line)) {
    const std::size_t colon = line.find(':');
    const std::size_t start = line.find_first_not_of(" #");
    if (colon == std::string::npos || start == std::string::npos || start > colon) continue;
    const std::string name = line.substr(start, colon - start);
    if (name.find_first_of(" \"[") != std::string::npos) continue;  // a comment's words, a bucket
    if (line[0] != ' ') section = name;
    shown.insert(line[0] == ' ' ? section + "." + name : name);
  }
  for (const Key &key : keys()) {
    if (key.in_yaml) {
      EXPECT_EQ(shown.count(key.name), 1u) << key.name << " not in the example";
    }
  }
}

// Where the text between `<!-- begin <name> ... -->` and `<!-- end <name> -->` lies in
// docs/config.md: {offset, length}, or {npos, 0} without both markers.
std::pair<std::size_t, std::size_t> doc_block(const std::string &doc, const std::string &name) {
  const std::string begin = "<!-- begin " + name + " (rendered from config/src/keys.cc) -->\n";
  const std::size_t b = doc.find(begin);
  const std::size_t e = doc.find("<!-- end " + name + " -->");
  if (b == std::string::npos || e == std::string::npos || e < b) return {std::string::npos, 0};
  return {b + begin.size(), e - b - begin.size()};
}

// docs/config.md shows the table as it is. NPUPROBE_UPDATE_DOCS=1 rewrites the two blocks.
TEST(KeysTest, TheDocShowsTheTable) {
  std::ifstream in(NPUPROBE_CONFIG_DOC);
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  ASSERT_FALSE(doc.empty()) << NPUPROBE_CONFIG_DOC;
  const std::pair<std::string, std::string> blocks[] = {
      {"environment table", environment_table_markdown()}, {"yaml table", yaml_table_markdown()}};
  const char *update = std::getenv("NPUPROBE_UPDATE_DOCS");
  for (const auto &[name, rendered] : blocks) {
    const auto [offset, length] = doc_block(doc, name);
    ASSERT_NE(offset, std::string::npos) << "docs/config.md lacks the markers of " << name;
    const std::string shown = doc.substr(offset, length);
    if (update != nullptr && std::string(update) == "1") {
      doc.replace(offset, length, rendered);
      continue;
    }
    EXPECT_EQ(shown, rendered) << "docs/config.md's " << name << " differs from the key table; "
                               << "NPUPROBE_UPDATE_DOCS=1 with this test rewrites it";
  }
  if (update != nullptr && std::string(update) == "1") std::ofstream(NPUPROBE_CONFIG_DOC) << doc;
}

}  // namespace
}  // namespace npuprobe::config
