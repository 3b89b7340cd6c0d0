// The identity readers: ASCEND_RT_VISIBLE_DEVICES by the runtime's rules, dp from vLLM's
// process titles, the model name from a server's command line.
#include "npuprobe/config/process_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace npuprobe::config {
namespace {

using Ids = std::vector<int>;

TEST(VisibleDevicesTest, ListsTheHostIdOfEachProcessDevice) {
  EXPECT_EQ(parse_visible_devices("2,3"), (Ids{2, 3}));
  EXPECT_EQ(parse_visible_devices("5"), (Ids{5}));
  EXPECT_EQ(parse_visible_devices(nullptr), Ids{});
}

TEST(VisibleDevicesTest, StopsAtTheFirstTokenThatIsNotANumberAsTheRuntimeDoes) {
  // The runtime's own example (docs/zh/env_vars/ASCEND_RT_VISIBLE_DEVICES.md): "1, 2,3" -> 1.
  EXPECT_EQ(parse_visible_devices("1, 2,3"), (Ids{1}));
  EXPECT_EQ(parse_visible_devices("4,x,6"), (Ids{4}));
  EXPECT_EQ(parse_visible_devices(""), Ids{});
}

TEST(VisibleDevicesTest, RefusesDescendingOrRepeatedIds) {
  EXPECT_EQ(parse_visible_devices("3,2"), Ids{});
  EXPECT_EQ(parse_visible_devices("1,2,2"), Ids{});
}

TEST(DpFromTitleTest, ReadsVllmTitles) {
  EXPECT_EQ(dp_from_title("VLLM::EngineCore_DP1"), "1");
  EXPECT_EQ(dp_from_title("VLLM::Worker_DP12_TP3"), "12");
  EXPECT_EQ(dp_from_title("VLLM::EngineCor VLLM::EngineCore_DP0"), "0");
  EXPECT_EQ(dp_from_title("VLLM::Worker"), std::nullopt);
  EXPECT_EQ(dp_from_title("python3 api_server.py --data-parallel-size 2 DP"), std::nullopt);
}

TEST(ModelFromCommandTest, FollowsVllmServeArguments) {
  EXPECT_EQ(model_from_command({"/usr/bin/vllm", "serve", "Qwen/Qwen3-8B", "--port", "8000"}),
            "Qwen/Qwen3-8B");
  EXPECT_EQ(model_from_command({"vllm", "serve", "/m", "--served-model-name", "qwen", "q2"}),
            "qwen");
  EXPECT_EQ(model_from_command(
                {"python3", "-m", "vllm.entrypoints.openai.api_server", "--model=/models/llama"}),
            "/models/llama");
  EXPECT_EQ(model_from_command({"/usr/bin/python3", "tests/serving/api_server.py", "--model",
                                "npuprobe-mock-llm"}),
            "npuprobe-mock-llm");
}

TEST(ModelFromCommandTest, IgnoresCommandsThatAreNoServer) {
  EXPECT_EQ(model_from_command({"python3", "train.py", "--model", "x"}), "");
  EXPECT_EQ(model_from_command({"serve", "x"}), "");
  EXPECT_EQ(model_from_command({}), "");
}

TEST(ProcessArgvTest, ReadsThisProcess) {
  const std::vector<std::string> argv = process_argv(static_cast<int>(::getpid()));
  ASSERT_FALSE(argv.empty());
  EXPECT_NE(argv[0].find("config_unit_tests"), std::string::npos);
  EXPECT_EQ(parent_pid(static_cast<int>(::getpid())), static_cast<int>(::getppid()));
  EXPECT_EQ(served_model_of_ancestors(), "");
}

}  // namespace
}  // namespace npuprobe::config
