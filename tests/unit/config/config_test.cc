#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "npuprobe/config/config.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TempDir {
 public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && base[0] != '\0' ? base : "/tmp") +
                          "/npuprobe-config-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) std::abort();
    path_ = buffer.data();
  }
  ~TempDir() {
    for (const std::string &file : files_) unlink(file.c_str());
    rmdir(path_.c_str());
  }
  std::string write(const std::string &name, const std::string &content) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    files_.push_back(file);
    return file;
  }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

class ConfigTest : public ::testing::Test {
 protected:
  // Writes the YAML / JSON files and points the environment at them.
  std::string yaml(const std::string &content) {
    yaml_path_ = dir_.write("npuprobe.yaml", content);
    env_.vars["NPUPROBE_CONFIG"] = yaml_path_;
    return yaml_path_;
  }
  std::string json(const std::string &content) {
    json_path_ = dir_.write("ms_service_profiler_config.json", content);
    env_.vars["SERVICE_PROF_CONFIG_PATH"] = json_path_;
    return json_path_;
  }
  LoadResult load() { return load_config(env_); }
  // The messages of a load, as strings with the temp folder replaced by "<dir>".
  std::vector<std::string> messages(const LoadResult &result) {
    std::vector<std::string> out;
    for (std::string m : result.message_strings()) {
      for (std::size_t at; (at = m.find(dir_.path())) != std::string::npos;) {
        m.replace(at, dir_.path().size(), "<dir>");
      }
      out.push_back(m);
    }
    return out;
  }
  // Loads a YAML document and returns its messages.
  std::vector<std::string> yaml_messages(const std::string &content) {
    yaml(content);
    return messages(load());
  }

  TempDir dir_;
  Environment env_;
  std::string yaml_path_, json_path_;
};

TEST_F(ConfigTest, DefaultsWithAnEmptyEnvironment) {
  const LoadResult r = load();
  EXPECT_THAT(r.messages, IsEmpty());
  const Config &c = r.config;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.metric_prefix, "vllm_profiling_");
  EXPECT_TRUE(c.labels.empty());
  EXPECT_EQ(c.store.dir, "");
  EXPECT_EQ(c.store.format, base::FormatPreference::kAuto);
  EXPECT_EQ(c.store.flush_interval_ms, 500);
  EXPECT_EQ(c.exposer.listen, "127.0.0.1:9464");
  EXPECT_TRUE(c.exposer.enabled());
  EXPECT_EQ(c.phases.min_launches_per_step, 1);
  EXPECT_TRUE(c.hooks.launch && c.hooks.sync && c.hooks.memory && c.hooks.dlsym);
  EXPECT_TRUE(c.hooks.skip.empty());
  EXPECT_TRUE(c.buckets.empty());
  EXPECT_EQ(c.memory.sample_hz, 0);
  EXPECT_EQ(c.task_time.mode, TaskTimeMode::kOff);
  EXPECT_EQ(c.task_time.level, TaskTimeLevel::kL0);
  EXPECT_EQ(c.task_time.level_duration_s, 0);
  EXPECT_EQ(c.task_time.prof_dir, "");
  EXPECT_EQ(c.task_time.timelimit_s, 0);
  EXPECT_TRUE(c.task_time.api_filter.empty() && c.task_time.kernel_filter.empty());
  EXPECT_EQ(c.logging.level, base::LogLevel::kInfo);
  EXPECT_EQ(c.logging.file, "");
  EXPECT_FALSE(c.op_label);
  EXPECT_EQ(c.dp, "");
  EXPECT_EQ(c.generation, 1u);
  EXPECT_THAT(c.sources, ElementsAre("defaults"));
}

TEST_F(ConfigTest, HomeGivesTheDefaultProfDir) {
  env_.vars["HOME"] = "/home/u";
  EXPECT_EQ(load().config.task_time.prof_dir, "/home/u/.ms_service_profiler");
}

TEST_F(ConfigTest, EveryYamlKeyIsParsed) {
  yaml(R"(enabled: false
metric_prefix: "my:prefix_"
labels:
  cluster: a
  zone: "b c"
store:
  dir: /tmp/store
  format: v1
  flush_interval_ms: 250
exposer:
  listen: "[::1]:9000"
phases:
  min_launches_per_step: 3
hooks:
  launch: false
  sync: no
  memory: off
  dlsym: false
  skip: [aclrtMemcpy, aclrtMalloc]
buckets:
  "npu:launch_latency": [0.001, 0.01, 1]
  other_family: [1, 2]
memory:
  sample_hz: 10
task_time:
  mode: 2
  level: L1;20
  prof_dir: /prof
  timelimit_s: 7200
  api_filter: "matmul; add"
  kernel_filter: [MatMul, Add]
  mspti_buffers: 32
attribution:
  enabled: false
  slow_launch_us: 250
  sync_captures_per_s: 0
  max_depth: 64
  max_sites: 5
  skip_modules: [libfoo, torch]
logging:
  level: debug
  file: /tmp/npuprobe.log
op_label: true
dp: 3
)");
  const LoadResult r = load();
  EXPECT_THAT(messages(r), IsEmpty());
  const Config &c = r.config;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.metric_prefix, "my:prefix_");
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"cluster", "a"}, {"zone", "b c"}}));
  EXPECT_EQ(c.store.dir, "/tmp/store");
  EXPECT_EQ(c.store.format, base::FormatPreference::kV1);
  EXPECT_EQ(c.store.flush_interval_ms, 250);
  EXPECT_EQ(c.exposer.listen, "[::1]:9000");
  EXPECT_EQ(c.phases.min_launches_per_step, 3);
  EXPECT_FALSE(c.hooks.launch || c.hooks.sync || c.hooks.memory || c.hooks.dlsym);
  EXPECT_THAT(c.hooks.skip, ElementsAre("aclrtMemcpy", "aclrtMalloc"));
  EXPECT_THAT(c.buckets.at("npu:launch_latency"), ElementsAre(0.001, 0.01, 1.0));
  EXPECT_THAT(c.buckets.at("other_family"), ElementsAre(1.0, 2.0));
  EXPECT_EQ(c.memory.sample_hz, 10);
  EXPECT_EQ(c.task_time.mode, TaskTimeMode::kMspti);
  EXPECT_EQ(c.task_time.level, TaskTimeLevel::kL1);
  EXPECT_EQ(c.task_time.level_duration_s, 20);
  EXPECT_EQ(c.task_time.prof_dir, "/prof");
  EXPECT_EQ(c.task_time.timelimit_s, 7200);
  EXPECT_THAT(c.task_time.api_filter, ElementsAre("matmul", "add"));
  EXPECT_THAT(c.task_time.kernel_filter, ElementsAre("MatMul", "Add"));
  EXPECT_EQ(c.task_time.mspti_buffers, 32);
  EXPECT_FALSE(c.attribution.enabled);
  EXPECT_EQ(c.attribution.slow_launch_us, 250);
  EXPECT_EQ(c.attribution.sync_captures_per_s, 0);
  EXPECT_EQ(c.attribution.max_depth, 64);
  EXPECT_EQ(c.attribution.max_sites, 5);
  EXPECT_THAT(c.attribution.skip_modules, ElementsAre("libfoo", "torch"));
  EXPECT_EQ(c.logging.level, base::LogLevel::kDebug);
  EXPECT_EQ(c.logging.file, "/tmp/npuprobe.log");
  EXPECT_TRUE(c.op_label);
  EXPECT_EQ(c.dp, "3");
  EXPECT_THAT(c.sources, ElementsAre("defaults", "NPUPROBE_CONFIG=" + yaml_path_));
}

TEST_F(ConfigTest, AttributionRangesAndTheEnvironmentSwitch) {
  yaml("attribution:\n  slow_launch_us: 0\n  max_depth: 65\n  max_sites: 0\n"
       "  sync_captures_per_s: -1\n  skip_modules: [\"\"]\n  unknown: 1\n");
  LoadResult r = load();
  EXPECT_EQ(r.messages.size(), 6u) << ::testing::PrintToString(messages(r));
  const AttributionConfig defaults;
  EXPECT_EQ(r.config.attribution.slow_launch_us, defaults.slow_launch_us);
  EXPECT_EQ(r.config.attribution.max_depth, defaults.max_depth);
  EXPECT_EQ(r.config.attribution.max_sites, defaults.max_sites);
  EXPECT_EQ(r.config.attribution.sync_captures_per_s, defaults.sync_captures_per_s);
  EXPECT_TRUE(r.config.attribution.skip_modules.empty());
  EXPECT_TRUE(r.config.attribution.enabled);

  yaml("attribution: {enabled: true}\n");
  env_.vars["NPUPROBE_ATTRIBUTION"] = "0";
  r = load();
  EXPECT_THAT(messages(r), IsEmpty());
  EXPECT_FALSE(r.config.attribution.enabled);  // the environment wins over the file
  env_.vars["NPUPROBE_ATTRIBUTION"] = "maybe";
  r = load();
  EXPECT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.config.attribution.enabled);
}

TEST_F(ConfigTest, ExposerOff) {
  yaml("exposer: {listen: \"off\"}\n");
  const LoadResult r = load();
  EXPECT_THAT(r.messages, IsEmpty());
  EXPECT_FALSE(r.config.exposer.enabled());
}

TEST_F(ConfigTest, EmptyFileAndEmptySectionsAreFine) {
  yaml("");
  EXPECT_THAT(messages(load()), IsEmpty());
  yaml("# only a comment\nstore:\nlabels:\nbuckets:\n");
  EXPECT_THAT(messages(load()), IsEmpty());
}

TEST_F(ConfigTest, TheExampleFileParsesWithoutMessages) {
  env_.vars["NPUPROBE_CONFIG"] = NPUPROBE_CONFIG_EXAMPLE;
  const LoadResult r = load();
  EXPECT_THAT(r.message_strings(), IsEmpty());
  EXPECT_EQ(r.config.labels.at("cluster"), "demo");
  EXPECT_EQ(r.config.buckets.count("npu:launch_latency"), 1u);
  EXPECT_EQ(r.config.sources.size(), 2u);
}

TEST_F(ConfigTest, ServiceProfilerJsonMapping) {
  json(R"({
  "enable": 1,
  "prof_dir": "vllm_prof",
  "profiler_level": "INFO",
  "host_system_usage_freq": 5,
  "domain": "Request; KVCache",
  "acl_task_time": 2,
  "acl_prof_task_time_level": "L1,10",
  "npu_memory_usage_freq": 20,
  "timelimit": 60,
  "api_filter": "matmul;add",
  "kernel_filter": "MatMul\uff1b Add"
})");
  const LoadResult r = load();
  EXPECT_THAT(messages(r), IsEmpty());
  const TaskTimeConfig &t = r.config.task_time;
  EXPECT_EQ(t.mode, TaskTimeMode::kMspti);
  EXPECT_EQ(t.level, TaskTimeLevel::kL1);
  EXPECT_EQ(t.level_duration_s, 10);
  EXPECT_EQ(t.prof_dir, "vllm_prof");
  EXPECT_EQ(t.timelimit_s, 60);
  EXPECT_THAT(t.api_filter, ElementsAre("matmul", "add"));
  EXPECT_THAT(t.kernel_filter, ElementsAre("MatMul", "Add"));
  EXPECT_EQ(r.config.memory.sample_hz, 20);
  EXPECT_TRUE(r.config.enabled);
  EXPECT_THAT(r.config.sources, ElementsAre("defaults", "SERVICE_PROF_CONFIG_PATH=" + json_path_));
}

TEST_F(ConfigTest, ServiceProfilerEnableZeroLeavesTaskTimeAndMemoryOff) {
  json(R"({"enable": 0, "acl_task_time": 1, "npu_memory_usage_freq": 5, "timelimit": 9})");
  const LoadResult r = load();
  EXPECT_THAT(messages(r), IsEmpty());
  EXPECT_EQ(r.config.task_time.mode, TaskTimeMode::kOff);
  EXPECT_EQ(r.config.memory.sample_hz, 0);
  EXPECT_EQ(r.config.task_time.timelimit_s, 9);
  EXPECT_TRUE(r.config.enabled);  // `enable` is msserviceprofiler's switch, not npuprobe's
  json(R"({"acl_task_time": 1})");  // enable absent = 0 (msserviceprofiler's default)
  EXPECT_EQ(load().config.task_time.mode, TaskTimeMode::kOff);
  json(R"({"enable": true, "acl_task_time": 1, "npu_memory_usage_freq": -1})");
  EXPECT_EQ(load().config.task_time.mode, TaskTimeMode::kAclprof);
  EXPECT_EQ(load().config.memory.sample_hz, 0);
}

TEST_F(ConfigTest, ServiceProfilerValidationMessages) {
  json(R"({
  "enable": 2,
  "prof_dir": 5,
  "acl_task_time": 3,
  "acl_prof_task_time_level": "L2",
  "npu_memory_usage_freq": 0,
  "timelimit": 7201,
  "api_filter": ["x"],
  "kernel_filter": null,
  "surprise": 1,
  "timelimit": 1.5
})");
  const LoadResult r = load();
  EXPECT_THAT(messages(r),
              ElementsAre("<dir>/ms_service_profiler_config.json:2: enable: 2 is out of range 0..1",
                          "<dir>/ms_service_profiler_config.json:3: prof_dir: expected a string, "
                          "got \"5\"",
                          "<dir>/ms_service_profiler_config.json:4: acl_task_time: 3 is out of "
                          "range 0..2",
                          "<dir>/ms_service_profiler_config.json:5: acl_prof_task_time_level: "
                          "\"L2\" is not L0 or L1, optionally followed by ,N or ;N (N = 1..999 s)",
                          "<dir>/ms_service_profiler_config.json:6: npu_memory_usage_freq: 0 is "
                          "out of range 1..50",
                          "<dir>/ms_service_profiler_config.json:7: timelimit: 7201 is out of "
                          "range 0..7200",
                          "<dir>/ms_service_profiler_config.json:8: api_filter: expected a "
                          "string, got an array",
                          "<dir>/ms_service_profiler_config.json:9: kernel_filter: expected a "
                          "string, got null",
                          "<dir>/ms_service_profiler_config.json:10: surprise: unknown key "
                          "(ignored)",
                          "<dir>/ms_service_profiler_config.json:11: timelimit: expected an "
                          "integer, got \"1.5\""));
  EXPECT_EQ(r.config.task_time.timelimit_s, 0);
  EXPECT_EQ(r.config.task_time.level, TaskTimeLevel::kL0);
}

TEST_F(ConfigTest, TaskTimeLevelForms) {
  TaskTimeLevel level;
  int duration = -1;
  EXPECT_TRUE(parse_task_time_level("", &level, &duration));
  EXPECT_EQ(level, TaskTimeLevel::kL0);
  EXPECT_EQ(duration, 0);
  EXPECT_TRUE(parse_task_time_level("L1", &level, &duration));
  EXPECT_EQ(level, TaskTimeLevel::kL1);
  EXPECT_TRUE(parse_task_time_level("L0,999", &level, &duration));
  EXPECT_EQ(duration, 999);
  EXPECT_TRUE(parse_task_time_level("L1;1", &level, &duration));
  EXPECT_EQ(duration, 1);
  for (const char *bad : {"L2", "l0", "L0,", "L0,0", "L0,1000", "L0;+5", "L0:5", "L0,5s", "L1 "}) {
    EXPECT_FALSE(parse_task_time_level(bad, &level, &duration)) << bad;
  }
}

TEST_F(ConfigTest, SplitFilter) {
  EXPECT_THAT(split_filter(""), IsEmpty());
  EXPECT_THAT(split_filter(" a ;;b\xEF\xBC\x9B" "c; "), ElementsAre("a", "b", "c"));
}

// --- Precedence: environment > YAML > JSON > defaults, for every environment variable. ---

TEST_F(ConfigTest, PrecedenceStoreFormat) {
  EXPECT_EQ(load().config.store.format, base::FormatPreference::kAuto);
  yaml("store: {format: v1}\n");
  EXPECT_EQ(load().config.store.format, base::FormatPreference::kV1);
  env_.vars["NPUPROBE_STORE_FORMAT"] = "v2";
  const LoadResult r = load();
  EXPECT_EQ(r.config.store.format, base::FormatPreference::kV2);
  EXPECT_THAT(r.config.sources, ElementsAre("defaults", "NPUPROBE_CONFIG=" + yaml_path_,
                                            "environment (NPUPROBE_STORE_FORMAT)"));
}

TEST_F(ConfigTest, PrecedenceFlushMs) {
  yaml("store: {flush_interval_ms: 1000}\n");
  EXPECT_EQ(load().config.store.flush_interval_ms, 1000);
  env_.vars["NPUPROBE_FLUSH_MS"] = "20";
  EXPECT_EQ(load().config.store.flush_interval_ms, 20);
  env_.vars["NPUPROBE_FLUSH_MS"] = "";  // empty = unset
  EXPECT_EQ(load().config.store.flush_interval_ms, 1000);
}

TEST_F(ConfigTest, PrecedenceListen) {
  yaml("exposer: {listen: \"0.0.0.0:1\"}\n");
  EXPECT_EQ(load().config.exposer.listen, "0.0.0.0:1");
  env_.vars["NPUPROBE_LISTEN"] = "off";
  EXPECT_EQ(load().config.exposer.listen, "off");
}

TEST_F(ConfigTest, PrecedenceLogLevel) {
  yaml("logging: {level: error}\n");
  EXPECT_EQ(load().config.logging.level, base::LogLevel::kError);
  env_.vars["NPUPROBE_LOG_LEVEL"] = "trace";
  EXPECT_EQ(load().config.logging.level, base::LogLevel::kTrace);
  env_.vars["NPUPROBE_LOG_LEVEL"] = "warning";
  EXPECT_EQ(load().config.logging.level, base::LogLevel::kWarn);
}

TEST_F(ConfigTest, PrecedenceDisable) {
  yaml("enabled: false\n");
  EXPECT_FALSE(load().config.enabled);
  env_.vars["NPUPROBE_DISABLE"] = "0";
  EXPECT_TRUE(load().config.enabled);
  yaml("enabled: true\n");
  env_.vars["NPUPROBE_DISABLE"] = "1";
  EXPECT_FALSE(load().config.enabled);
}

TEST_F(ConfigTest, PrecedenceMultiprocDir) {
  yaml("store: {dir: /from/yaml}\n");
  EXPECT_EQ(load().config.store.dir, "/from/yaml");
  env_.vars["PROMETHEUS_MULTIPROC_DIR"] = "/from/env";
  EXPECT_EQ(load().config.store.dir, "/from/env");
}

TEST_F(ConfigTest, PrecedenceDpRank) {
  yaml("dp: \"7\"\n");
  EXPECT_EQ(load().config.dp, "7");
  env_.vars["VLLM_DP_RANK"] = "2";
  EXPECT_EQ(load().config.dp, "2");
}

TEST_F(ConfigTest, PrecedenceOpLabel) {
  yaml("op_label: true\n");
  EXPECT_TRUE(load().config.op_label);
  env_.vars["NPUPROBE_OP_LABEL"] = "0";
  EXPECT_FALSE(load().config.op_label);
  env_.vars["NPUPROBE_OP_LABEL"] = "1";
  yaml("op_label: false\n");
  EXPECT_TRUE(load().config.op_label);
}

TEST_F(ConfigTest, PrecedenceYamlOverJsonOverDefaults) {
  json(R"({"enable": 1, "acl_task_time": 1, "timelimit": 100, "prof_dir": "/json",
           "npu_memory_usage_freq": 5, "acl_prof_task_time_level": "L1",
           "api_filter": "j", "kernel_filter": "k"})");
  LoadResult r = load();
  EXPECT_EQ(r.config.task_time.mode, TaskTimeMode::kAclprof);
  EXPECT_EQ(r.config.task_time.timelimit_s, 100);
  EXPECT_EQ(r.config.task_time.prof_dir, "/json");
  EXPECT_EQ(r.config.memory.sample_hz, 5);
  yaml(R"(task_time:
  mode: 2
  timelimit_s: 200
  prof_dir: /yaml
  level: L0,5
  api_filter: y
  kernel_filter: z
memory: {sample_hz: 50}
)");
  r = load();
  EXPECT_THAT(messages(r), IsEmpty());
  EXPECT_EQ(r.config.task_time.mode, TaskTimeMode::kMspti);
  EXPECT_EQ(r.config.task_time.timelimit_s, 200);
  EXPECT_EQ(r.config.task_time.prof_dir, "/yaml");
  EXPECT_EQ(r.config.task_time.level, TaskTimeLevel::kL0);
  EXPECT_EQ(r.config.task_time.level_duration_s, 5);
  EXPECT_THAT(r.config.task_time.api_filter, ElementsAre("y"));
  EXPECT_THAT(r.config.task_time.kernel_filter, ElementsAre("z"));
  EXPECT_EQ(r.config.memory.sample_hz, 50);
  EXPECT_THAT(r.config.sources,
              ElementsAre("defaults", "SERVICE_PROF_CONFIG_PATH=" + json_path_,
                          "NPUPROBE_CONFIG=" + yaml_path_));
}

TEST_F(ConfigTest, YamlKeyNotSetKeepsTheJsonValue) {
  json(R"({"timelimit": 100})");
  yaml("task_time: {mode: 0}\n");
  EXPECT_EQ(load().config.task_time.timelimit_s, 100);
}

// --- Validation messages (exact text). ---

TEST_F(ConfigTest, EnvironmentValidationMessages) {
  env_.vars = {{"NPUPROBE_STORE_FORMAT", "v3"}, {"NPUPROBE_FLUSH_MS", "5"},
               {"NPUPROBE_LISTEN", "localhost"}, {"NPUPROBE_LOG_LEVEL", "loud"},
               {"NPUPROBE_DISABLE", "maybe"},    {"NPUPROBE_OP_LABEL", "2"}};
  LoadResult r = load();
  EXPECT_THAT(
      r.message_strings(),
      ElementsAre("environment: NPUPROBE_DISABLE: \"maybe\" is not one of 1, 0, true, false, "
                  "yes, no, on, off (any case); taken as 1: npuprobe is disabled (unset it or "
                  "set 0 to instrument)",
                  "environment: NPUPROBE_STORE_FORMAT: \"v3\" is not one of auto, v1, v2; "
                  "ignored",
                  "environment: NPUPROBE_FLUSH_MS: 5 is out of range 10..600000; ignored",
                  "environment: NPUPROBE_LISTEN: \"localhost\" is not host:port (port 0..65535) "
                  "or off; ignored",
                  "environment: NPUPROBE_LOG_LEVEL: \"loud\" is not one of trace, debug, info, "
                  "warn, error, critical, off; ignored",
                  "environment: NPUPROBE_OP_LABEL: \"2\" is not one of 1, 0, true, false, yes, "
                  "no, on, off (any case); ignored"));
  EXPECT_EQ(r.config.store.flush_interval_ms, 500);
  EXPECT_EQ(r.config.exposer.listen, "127.0.0.1:9464");
  EXPECT_FALSE(r.config.enabled);  // a refused NPUPROBE_DISABLE disables
  EXPECT_FALSE(r.config.op_label);
  EXPECT_THAT(r.config.sources, ElementsAre("defaults", "environment (NPUPROBE_DISABLE)"));
  env_.vars = {{"NPUPROBE_FLUSH_MS", "1e3"}, {"NPUPROBE_LISTEN", "h:70000"},
               {"NPUPROBE_DISABLE", "yes"}, {"NPUPROBE_OP_LABEL", "true"}};
  r = load();
  EXPECT_THAT(r.message_strings(),
              ElementsAre("environment: NPUPROBE_FLUSH_MS: expected an integer, got \"1e3\"; "
                          "ignored",
                          "environment: NPUPROBE_LISTEN: \"h:70000\" is not host:port (port "
                          "0..65535) or off; ignored"));
  EXPECT_FALSE(r.config.enabled);
  EXPECT_TRUE(r.config.op_label);
}

TEST_F(ConfigTest, UnknownKeys) {
  EXPECT_THAT(yaml_messages("enabled: true\nstorage: {}\nstore:\n  flush_ms: 1\n"
                            "hooks: {launch: true, lanch: false}\n"),
              ElementsAre("<dir>/npuprobe.yaml:2: storage: unknown key",
                          "<dir>/npuprobe.yaml:4: store.flush_ms: unknown key",
                          "<dir>/npuprobe.yaml:5: hooks.lanch: unknown key"));
}

TEST_F(ConfigTest, WrongTypes) {
  yaml(R"(enabled: maybe
metric_prefix: [a]
store:
  flush_interval_ms: fast
  dir: {a: 1}
phases: 5
hooks:
  skip: aclrtMemcpy
  sync: [true]
memory:
  sample_hz: 2.5
logging:
  level: {x: 1}
op_label:
labels: [a, b]
buckets:
  f: 1
  g: [1, x]
task_time:
  kernel_filter: [a, [b]]
  mode:
)");
  const LoadResult r = load();
  EXPECT_THAT(messages(r),
              ElementsAre("<dir>/npuprobe.yaml:1: enabled: expected a boolean, got \"maybe\"",
                          "<dir>/npuprobe.yaml:2: metric_prefix: expected a string, got a "
                          "sequence",
                          "<dir>/npuprobe.yaml:4: store.flush_interval_ms: expected an integer, "
                          "got \"fast\"",
                          "<dir>/npuprobe.yaml:5: store.dir: expected a string, got a map",
                          "<dir>/npuprobe.yaml:6: phases: expected a map, got \"5\"",
                          "<dir>/npuprobe.yaml:8: hooks.skip: expected a sequence of strings, "
                          "got \"aclrtMemcpy\"",
                          "<dir>/npuprobe.yaml:9: hooks.sync: expected a boolean, got a sequence",
                          "<dir>/npuprobe.yaml:11: memory.sample_hz: expected an integer, got "
                          "\"2.5\"",
                          "<dir>/npuprobe.yaml:13: logging.level: expected a string, got a map",
                          "<dir>/npuprobe.yaml:14: op_label: expected a boolean, got null",
                          "<dir>/npuprobe.yaml:15: labels: expected a map, got a sequence",
                          "<dir>/npuprobe.yaml:17: buckets.f: expected a sequence of numbers, "
                          "got \"1\"",
                          "<dir>/npuprobe.yaml:18: buckets.g[1]: expected a number, got \"x\"",
                          "<dir>/npuprobe.yaml:20: task_time.kernel_filter[1]: expected a "
                          "string, got a sequence",
                          "<dir>/npuprobe.yaml:21: task_time.mode: expected an integer, got "
                          "null"));
  // Every bad value kept its default.
  const Config defaults;
  EXPECT_EQ(r.config.enabled, defaults.enabled);
  EXPECT_EQ(r.config.metric_prefix, defaults.metric_prefix);
  EXPECT_EQ(r.config.store.flush_interval_ms, 500);
  EXPECT_TRUE(r.config.hooks.sync);
  EXPECT_TRUE(r.config.buckets.empty());
  EXPECT_TRUE(r.config.task_time.kernel_filter.empty());
}

TEST_F(ConfigTest, OutOfRangeValues) {
  EXPECT_THAT(yaml_messages(R"(store:
  flush_interval_ms: 5
  format: v3
exposer: {listen: "nohost"}
phases: {min_launches_per_step: -1}
memory: {sample_hz: 51}
task_time:
  mode: 3
  timelimit_s: 7201
  level: "L1,1000"
logging: {level: verbose}
)"),
              ElementsAre("<dir>/npuprobe.yaml:2: store.flush_interval_ms: 5 is out of range "
                          "10..600000",
                          "<dir>/npuprobe.yaml:3: store.format: \"v3\" is not one of auto, v1, v2",
                          "<dir>/npuprobe.yaml:4: exposer.listen: \"nohost\" is not host:port "
                          "(port 0..65535) or off",
                          "<dir>/npuprobe.yaml:5: phases.min_launches_per_step: -1 is out of "
                          "range 0..1000000",
                          "<dir>/npuprobe.yaml:6: memory.sample_hz: 51 is out of range 0..50",
                          "<dir>/npuprobe.yaml:8: task_time.mode: 3 is out of range 0..2",
                          "<dir>/npuprobe.yaml:9: task_time.timelimit_s: 7201 is out of range "
                          "0..7200",
                          "<dir>/npuprobe.yaml:10: task_time.level: \"L1,1000\" is not L0 or L1, "
                          "optionally followed by ,N or ;N (N = 1..999 s)",
                          "<dir>/npuprobe.yaml:11: logging.level: \"verbose\" is not one of "
                          "trace, debug, info, warn, error, critical, off"));
}

TEST_F(ConfigTest, BucketsMustBeSortedFiniteAndNonEmpty) {
  yaml(R"(buckets:
  a: [1, 2, 2]
  b: [3, 0.5]
  c: []
  d: [1, .inf]
  "9bad": [1]
  ok: [-1, 0, 1e3]
)");
  const LoadResult r = load();
  EXPECT_THAT(messages(r),
              ElementsAre("<dir>/npuprobe.yaml:2: buckets.a: buckets must be strictly "
                          "increasing: 2 follows 2",
                          "<dir>/npuprobe.yaml:3: buckets.b: buckets must be strictly "
                          "increasing: 0.5 follows 3",
                          "<dir>/npuprobe.yaml:4: buckets.c: must list at least one bucket",
                          "<dir>/npuprobe.yaml:5: buckets.d[1]: \".inf\" is not finite (+Inf is "
                          "always the last bucket)",
                          "<dir>/npuprobe.yaml:6: buckets.9bad: \"9bad\" is not a valid metric "
                          "family name ([a-zA-Z_:][a-zA-Z0-9_:]*)"));
  EXPECT_EQ(r.config.buckets.size(), 1u);
  EXPECT_THAT(r.config.buckets.at("ok"), ElementsAre(-1.0, 0.0, 1000.0));
}

TEST_F(ConfigTest, MetricPrefixAndLabelNames) {
  for (const char *good : {"a", "_x", ":y", "vllm_profiling_", "A9:_"}) {
    EXPECT_TRUE(valid_metric_prefix(good)) << good;
  }
  for (const char *bad : {"", "9a", "a-b", "a b", "é"}) {
    EXPECT_FALSE(valid_metric_prefix(bad)) << bad;
  }
  EXPECT_THAT(yaml_messages("metric_prefix: \"9bad\"\nlabels:\n  __x: 1\n  a-b: 2\n  ok: 3\n"),
              ElementsAre("<dir>/npuprobe.yaml:1: metric_prefix: \"9bad\" is not a valid metric "
                          "name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                          "<dir>/npuprobe.yaml:3: labels.__x: \"__x\" is not a valid label name "
                          "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
                          "<dir>/npuprobe.yaml:4: labels.a-b: \"a-b\" is not a valid label name "
                          "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"));
  yaml("metric_prefix: \"\"\n");
  EXPECT_EQ(load().config.metric_prefix, "vllm_profiling_");
}

TEST_F(ConfigTest, ConstantLabelsMayNotReuseTheMetricsOwnLabels) {
  EXPECT_THAT(yaml_messages("labels:\n  device: x\n  le: y\n  devices: z\n  model_name: m\n"),
              ElementsAre("<dir>/npuprobe.yaml:2: labels.device: \"device\" is a label npuprobe's "
                          "metrics already carry (dp, device, api, code, op, reason, type, "
                          "version, format, mode, local_device, process_pid, model_name, le, "
                          "quantile)",
                          "<dir>/npuprobe.yaml:3: labels.le: \"le\" is a label npuprobe's "
                          "metrics already carry (dp, device, api, code, op, reason, type, "
                          "version, format, mode, local_device, process_pid, model_name, le, "
                          "quantile)",
                          "<dir>/npuprobe.yaml:5: labels.model_name: \"model_name\" is a label "
                          "npuprobe's metrics already carry (dp, device, api, code, op, reason, "
                          "type, version, format, mode, local_device, process_pid, model_name, le, "
                          "quantile)"));
  EXPECT_EQ(load().config.labels, (std::map<std::string, std::string>{{"devices", "z"}}));
}

TEST_F(ConfigTest, EmptySkipName) {
  EXPECT_THAT(yaml_messages("hooks:\n  skip:\n    - a\n    - \"\"\n"),
              ElementsAre("<dir>/npuprobe.yaml:4: hooks.skip[1]: must not be empty"));
}

TEST_F(ConfigTest, NonStringKey) {
  EXPECT_THAT(yaml_messages("? [a, b]\n: 1\n"),
              ElementsAre("<dir>/npuprobe.yaml:1: (key): keys must be plain strings, got a "
                          "sequence"));
}

TEST_F(ConfigTest, MalformedYamlIsIgnoredEntirely) {
  json(R"({"timelimit": 30})");
  yaml("store:\n  flush_interval_ms: 100\n  dir: [unclosed\nlogging: {level: debug\n");
  const LoadResult r = load();
  const std::vector<std::string> m = messages(r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_THAT(m[0], ::testing::StartsWith("<dir>/npuprobe.yaml:"));
  EXPECT_THAT(m[0], HasSubstr(": malformed YAML, file ignored: "));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_GE(r.messages[0].line, 3);
  EXPECT_EQ(r.config.store.flush_interval_ms, 500);      // YAML ignored
  EXPECT_EQ(r.config.task_time.timelimit_s, 30);          // the JSON still applies
  EXPECT_THAT(r.config.sources, ElementsAre("defaults", "SERVICE_PROF_CONFIG_PATH=" + json_path_));
}

TEST_F(ConfigTest, YamlTopLevelMustBeAMap) {
  EXPECT_THAT(yaml_messages("- a\n- b\n"),
              ElementsAre("<dir>/npuprobe.yaml:1: malformed YAML, file ignored: expected a map "
                          "at the top level"));
  EXPECT_THAT(yaml_messages("just text\n"),
              ElementsAre("<dir>/npuprobe.yaml:1: malformed YAML, file ignored: expected a map "
                          "at the top level"));
}

TEST_F(ConfigTest, MalformedJsonIsIgnoredEntirely) {
  json("{\n  \"enable\": 1,\n  \"timelimit\": 30\n  \"acl_task_time\": 1\n}\n");
  const LoadResult r = load();
  EXPECT_THAT(messages(r),
              ElementsAre("<dir>/ms_service_profiler_config.json:4: malformed JSON, file "
                          "ignored: expected ',' or '}' in an object (column 3)"));
  EXPECT_EQ(r.config.task_time.timelimit_s, 0);
  json("[1]");
  EXPECT_THAT(messages(load()),
              ElementsAre("<dir>/ms_service_profiler_config.json:1: malformed JSON, file "
                          "ignored: expected an object at the top level, got an array"));
}

TEST_F(ConfigTest, UnreadableFiles) {
  env_.vars["NPUPROBE_CONFIG"] = dir_.path() + "/missing.yaml";
  env_.vars["SERVICE_PROF_CONFIG_PATH"] = dir_.path();  // a folder
  const LoadResult r = load();
  const std::vector<std::string> m = messages(r);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_THAT(m[0], ::testing::StartsWith("<dir>: cannot read: "));
  EXPECT_THAT(m[0], ::testing::EndsWith("; file ignored"));
  EXPECT_EQ(m[1], "<dir>/missing.yaml: cannot read: No such file or directory; file ignored");
  EXPECT_THAT(r.config.sources, ElementsAre("defaults"));
}

TEST_F(ConfigTest, DiagnosticFormatting) {
  EXPECT_EQ((Diagnostic{"f.yaml", 7, "store.flush_interval_ms", "x"}).to_string(),
            "f.yaml:7: store.flush_interval_ms: x");
  EXPECT_EQ((Diagnostic{"f.yaml", 0, "", "x"}).to_string(), "f.yaml: x");
}

// --- reload ---

TEST_F(ConfigTest, ReloadAppliesANewSnapshot) {
  yaml("store: {flush_interval_ms: 100}\n");
  const LoadResult first = load();
  EXPECT_EQ(first.config.generation, 1u);
  yaml("store: {flush_interval_ms: 200}\n");
  const LoadResult second = reload(first.config, env_);
  EXPECT_FALSE(second.kept_last_good);
  EXPECT_EQ(second.config.generation, 2u);
  EXPECT_EQ(second.config.store.flush_interval_ms, 200);
  // A bad value is a message, not a reason to keep the old snapshot: it takes the default.
  yaml("store: {flush_interval_ms: 1}\n");
  const LoadResult third = reload(second.config, env_);
  EXPECT_FALSE(third.kept_last_good);
  EXPECT_EQ(third.config.generation, 3u);
  EXPECT_EQ(third.config.store.flush_interval_ms, 500);
  EXPECT_EQ(third.messages.size(), 1u);
}

TEST_F(ConfigTest, ReloadKeepsTheLastGoodSnapshotOnAMalformedFile) {
  yaml("store: {flush_interval_ms: 100}\nlabels: {a: b}\n");
  const LoadResult first = load();
  yaml("store: {flush_interval_ms: 200\n");
  const LoadResult second = reload(first.config, env_);
  EXPECT_TRUE(second.kept_last_good);
  EXPECT_EQ(second.config.generation, 1u);
  EXPECT_EQ(second.config.store.flush_interval_ms, 100);
  EXPECT_EQ(second.config.labels.at("a"), "b");
  ASSERT_EQ(second.messages.size(), 1u);
  EXPECT_THAT(second.messages[0].text, HasSubstr("malformed YAML, file ignored"));
  // A malformed JSON or an unreadable file too.
  yaml("store: {flush_interval_ms: 300}\n");
  json("{");
  EXPECT_TRUE(reload(first.config, env_).kept_last_good);
  env_.vars.erase("SERVICE_PROF_CONFIG_PATH");
  env_.vars["NPUPROBE_CONFIG"] = dir_.path() + "/gone.yaml";
  EXPECT_TRUE(reload(first.config, env_).kept_last_good);
  // Fixed: the next reload applies again.
  yaml("store: {flush_interval_ms: 300}\n");
  const LoadResult fixed = reload(second.config, env_);
  EXPECT_FALSE(fixed.kept_last_good);
  EXPECT_EQ(fixed.config.generation, 2u);
  EXPECT_EQ(fixed.config.store.flush_interval_ms, 300);
}

TEST(EnvironmentTest, GetTreatsEmptyAsUnset) {
  Environment env;
  env.vars["A"] = "";
  env.vars["B"] = "x";
  EXPECT_EQ(env.get("A"), nullptr);
  EXPECT_EQ(env.get("C"), nullptr);
  ASSERT_NE(env.get("B"), nullptr);
  EXPECT_EQ(*env.get("B"), "x");
}

TEST(EnvironmentTest, FromProcessReadsTheKnownVariables) {
  setenv("NPUPROBE_FLUSH_MS", "123", 1);
  setenv("NPUPROBE_UNRELATED_TEST_VAR", "x", 1);
  const Environment env = Environment::from_process();
  unsetenv("NPUPROBE_FLUSH_MS");
  unsetenv("NPUPROBE_UNRELATED_TEST_VAR");
  ASSERT_NE(env.get("NPUPROBE_FLUSH_MS"), nullptr);
  EXPECT_EQ(*env.get("NPUPROBE_FLUSH_MS"), "123");
  EXPECT_EQ(env.vars.count("NPUPROBE_UNRELATED_TEST_VAR"), 0u);
}

}  // namespace
}  // namespace npuprobe::config
