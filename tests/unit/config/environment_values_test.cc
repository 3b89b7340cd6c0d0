// The environment layer shared by the loader, `npuprobe check` and the preload
// (config/environment_values.h), and how a load's problems are logged (config::log_problems).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "npuprobe/config/config.h"
#include "npuprobe/config/environment_values.h"
#include "npuprobe/base/log.h"

namespace npuprobe::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The environment applied onto the defaults, and what the layer said.
struct Layer {
  Config config;
  EnvironmentValues values;
};

Layer read(const std::map<std::string, std::string> &vars) {
  Layer layer;
  layer.values = apply_environment_values(
      [&](const char *name) -> const char * {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      layer.config);
  return layer;
}

std::vector<std::string> lines(const Layer &layer) {
  std::vector<std::string> out;
  for (const Diagnostic &d : layer.values.problems) out.push_back(d.to_string());
  return out;
}

TEST(EnvironmentValuesTest, BooleansTakeTheUsualSpellingsInAnyCase) {
  for (const char *yes : {"1", "true", "TRUE", "yes", "Yes", "on", "ON"}) {
    const Layer l = read({{"NPUPROBE_DISABLE", yes}, {"NPUPROBE_OP_LABEL", yes},
                                     {"NPUPROBE_ATTRIBUTION", yes}});
    EXPECT_THAT(lines(l), IsEmpty()) << yes;
    EXPECT_TRUE(l.config.disabled) << yes;
    EXPECT_FALSE(l.config.enabled) << yes;
    EXPECT_TRUE(l.config.op_label) << yes;
    EXPECT_TRUE(l.config.attribution.enabled) << yes;
  }
  for (const char *no : {"0", "false", "False", "no", "NO", "off", "Off"}) {
    const Layer l = read({{"NPUPROBE_DISABLE", no}, {"NPUPROBE_OP_LABEL", no},
                                     {"NPUPROBE_ATTRIBUTION", no}});
    EXPECT_THAT(lines(l), IsEmpty()) << no;
    EXPECT_FALSE(l.config.disabled) << no;
    EXPECT_TRUE(l.config.enabled) << no;
    EXPECT_FALSE(l.config.op_label) << no;
    EXPECT_FALSE(l.config.attribution.enabled) << no;
  }
}

TEST(EnvironmentValuesTest, ARefusedBooleanIsNamedAndIgnored) {
  const Layer l = read({{"NPUPROBE_OP_LABEL", "2"}, {"NPUPROBE_ATTRIBUTION", "y"}});
  EXPECT_THAT(lines(l),
              ElementsAre("environment: NPUPROBE_OP_LABEL: \"2\" is not one of 1, 0, true, false, "
                          "yes, no, on, off (any case); ignored",
                          "environment: NPUPROBE_ATTRIBUTION: \"y\" is not one of 1, 0, true, "
                          "false, yes, no, on, off (any case); ignored"));
  EXPECT_FALSE(l.config.op_label);              // the default stays
  EXPECT_TRUE(l.config.attribution.enabled);   // the default stays
  EXPECT_THAT(l.values.used, IsEmpty());
}

TEST(EnvironmentValuesTest, ARefusedDisableDisables) {
  const Layer l = read({{"NPUPROBE_DISABLE", "maybe"}});
  EXPECT_THAT(lines(l),
              ElementsAre("environment: NPUPROBE_DISABLE: \"maybe\" is not one of 1, 0, true, "
                          "false, yes, no, on, off (any case); taken as 1: npuprobe is disabled "
                          "(unset it or set 0 to instrument)"));
  EXPECT_TRUE(l.config.disabled);
  EXPECT_FALSE(l.config.enabled);
  EXPECT_THAT(l.values.used, ElementsAre("NPUPROBE_DISABLE"));
}

TEST(EnvironmentValuesTest, DisabledByFollowsTheSameRule) {
  EXPECT_FALSE(disabled_by(nullptr));
  EXPECT_FALSE(disabled_by(""));
  for (const char *no : {"0", "no", "OFF", "False"}) EXPECT_FALSE(disabled_by(no)) << no;
  for (const char *yes : {"1", "yes", "On", "TRUE", "maybe", "2", " 0"}) {
    EXPECT_TRUE(disabled_by(yes)) << yes;
  }
}

TEST(EnvironmentValuesTest, EveryOtherVariableSaysWhatItAccepts) {
  const Layer l =
      read({{"NPUPROBE_STORE_FORMAT", "v3"}, {"NPUPROBE_FLUSH_MS", " 50"},
            {"NPUPROBE_LISTEN", "garbage"}, {"NPUPROBE_LOG_LEVEL", "loud"}});
  EXPECT_THAT(lines(l),
              ElementsAre("environment: NPUPROBE_STORE_FORMAT: \"v3\" is not one of auto, v1, "
                          "v2; ignored",
                          "environment: NPUPROBE_FLUSH_MS: expected an integer, got \" 50\"; "
                          "ignored",
                          "environment: NPUPROBE_LISTEN: \"garbage\" is not host:port (port "
                          "0..65535) or off; ignored",
                          "environment: NPUPROBE_LOG_LEVEL: \"loud\" is not one of trace, debug, "
                          "info, warn, error, critical, off; ignored"));
  const Config defaults;
  EXPECT_EQ(l.config.store.format, defaults.store.format);
  EXPECT_EQ(l.config.store.flush_interval_ms, defaults.store.flush_interval_ms);
  EXPECT_EQ(l.config.exposer.listen, defaults.exposer.listen);
  EXPECT_EQ(l.config.logging.level, defaults.logging.level);
  EXPECT_THAT(l.values.used, IsEmpty());
}

TEST(EnvironmentValuesTest, AcceptedValuesAreUsed) {
  const Layer l =
      read({{"NPUPROBE_STORE_FORMAT", "v1"}, {"NPUPROBE_FLUSH_MS", "250"},
            {"NPUPROBE_LISTEN", "0.0.0.0:0"}, {"NPUPROBE_LOG_LEVEL", "debug"},
            {"PROMETHEUS_MULTIPROC_DIR", "/d"}, {"VLLM_DP_RANK", "3"}, {"NPUPROBE_DISABLE", ""}});
  EXPECT_THAT(lines(l), IsEmpty());
  EXPECT_EQ(l.config.store.format, base::FormatPreference::kV1);
  EXPECT_EQ(l.config.store.flush_interval_ms, 250);
  EXPECT_EQ(l.config.exposer.listen, "0.0.0.0:0");
  EXPECT_EQ(l.config.logging.level, base::LogLevel::kDebug);
  EXPECT_EQ(l.config.store.dir, "/d");
  EXPECT_EQ(l.config.dp, "3");
  EXPECT_FALSE(l.config.disabled);  // empty is unset
  EXPECT_THAT(l.values.used, ElementsAre("PROMETHEUS_MULTIPROC_DIR", "NPUPROBE_STORE_FORMAT",
                                  "NPUPROBE_FLUSH_MS", "NPUPROBE_LISTEN", "NPUPROBE_LOG_LEVEL",
                                  "VLLM_DP_RANK"));
}

TEST(EnvironmentValuesTest, ALongOrHostileValueIsCutAndEscaped) {
  const std::string value = "\x1b[2J" + std::string(200, 'a') + "\xc2\x9b";
  const Layer l = read({{"NPUPROBE_LISTEN", value}});
  EXPECT_THAT(lines(l), ElementsAre("environment: NPUPROBE_LISTEN: \"\\x1b[2J" +
                                    std::string(60, 'a') + "\"... (206 bytes) is not host:port "
                                    "(port 0..65535) or off; ignored"));
  const Layer c1 = read({{"NPUPROBE_OP_LABEL", "\xc2\x9b" "31m"}});
  EXPECT_THAT(lines(c1), ElementsAre("environment: NPUPROBE_OP_LABEL: \"\\u009b31m\" is not one "
                                     "of 1, 0, true, false, yes, no, on, off (any case); ignored"));
}

// The loader (and so `npuprobe check`) reports exactly the layer's lines.
TEST(EnvironmentValuesTest, TheLoaderReportsTheSameLines) {
  const std::map<std::string, std::string> vars = {
      {"NPUPROBE_DISABLE", "maybe"}, {"NPUPROBE_OP_LABEL", "2"}, {"NPUPROBE_LISTEN", "garbage"}};
  Environment environment;
  environment.vars = vars;
  const LoadResult loaded = load_config(environment);
  EXPECT_EQ(loaded.message_strings(), lines(read(vars)));
  EXPECT_FALSE(loaded.config.enabled);
  EXPECT_FALSE(loaded.config.op_label);
  EXPECT_EQ(loaded.config.exposer.listen, "127.0.0.1:9464");
}

std::vector<std::string> g_logged;
void capture(base::LogLevel, const char *message) { g_logged.push_back(message); }

TEST(LogProblemsTest, AFewLinesThenHowManyMore) {
  std::vector<Diagnostic> problems;
  for (int i = 1; i <= 7; ++i) problems.push_back(Diagnostic{"/c.yaml", i, "k", "bad"});
  g_logged.clear();
  base::set_log_sink(&capture);
  base::set_log_rate_limit(5, std::chrono::seconds(10));
  log_problems(problems);
  base::set_log_sink(nullptr);
  EXPECT_THAT(g_logged,
              ElementsAre("/c.yaml:1: k: bad", "/c.yaml:2: k: bad", "/c.yaml:3: k: bad",
                          "/c.yaml:4: k: bad", "/c.yaml:5: k: bad",
                          "2 more configuration problems suppressed (`npuprobe check` with the "
                          "same environment prints every one)"));
}

}  // namespace
}  // namespace npuprobe::config
