// Fuzz target for the configuration loaders: the same bytes go through the YAML layer, the
// msserviceprofiler JSON layer and the bare JSON parser. Nothing may crash, hang or throw, and
// a malformed file must leave the configuration untouched.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/config/config.h"
#include "npuprobe/base/json.h"
#include "npuprobe/config/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace npuprobe::config;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  {
    Config config;
    std::vector<Diagnostic> messages;
    if (apply_yaml_text(text, "fuzz.yaml", config, messages) == LayerStatus::kMalformed &&
        (config.metric_prefix != Config().metric_prefix || messages.empty())) {
      std::abort();
    }
    for (const Diagnostic &d : messages) (void)d.to_string();
  }
  {
    Config config;
    std::vector<Diagnostic> messages;
    if (apply_service_profiler_json_text(text, "fuzz.json", config, messages) ==
            LayerStatus::kMalformed &&
        (config.task_time.timelimit_s != 0 || messages.empty())) {
      std::abort();
    }
    for (const Diagnostic &d : messages) (void)d.to_string();
  }
  npuprobe::base::json::Value value;
  npuprobe::base::json::ParseError error;
  if (!npuprobe::base::json::parse(text, &value, &error) && error.line < 1) std::abort();
  return 0;
}

#if !defined(NPUPROBE_LIBFUZZER)
#include <cstdio>
#include <fstream>
#include <iterator>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(content.data()), content.size());
    // Every prefix too: truncated files are the common corruption.
    for (std::size_t cut = 0; cut < content.size(); ++cut) {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(content.data()), cut);
    }
  }
  std::printf("replayed %d files\n", argc - 1);
  return 0;
}
#endif
