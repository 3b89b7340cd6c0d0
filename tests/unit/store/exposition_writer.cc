// Writes one process's share of a vLLM-shaped store folder through npuprobe, for
// exposition_identity_check.py, which runs it twice (two pids) and then compares
// `npuprobe dump` / `npuprobe serve` of the folder with prometheus_client reading it.
// The families are those the check's Python writer makes (keep the two in step): odd HELP
// texts and label values, odd bucket edges and values whose text forms are easy to get wrong.
//
// usage: store_exposition_writer DIR v1|v2 ROUND   (ROUND 0 or 1: a different share of values)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "npuprobe/store/publisher.h"

using namespace npuprobe::store;

namespace {

const char *const kHelp = "Line one.\nLine two: a \\ backslash, \"quotes\", \\n not a newline.";
const char *const kNasty = "q\"b\\s\nn \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";

}  // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR v1|v2 ROUND\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const bool v2 = std::string(argv[2]) == "v2";
  const int round = std::atoi(argv[3]);
  MetricRegistry registry;
  const auto labels = std::vector<std::string>{"model_name", "engine"};
  const std::vector<std::string> model = {"m/7b", round == 0 ? "0" : kNasty};

  const auto tokens = registry.add_family(counter_spec("vllm:prompt_tokens_total", kHelp, labels));
  registry.add(registry.counter(tokens, model), 0.1);
  registry.add(registry.counter(tokens, model), 0.2);
  registry.add(registry.counter(tokens, {"m/7b", "big"}), 1.5e300 * (round + 1));
  const auto odd = registry.add_family(counter_spec("vllm:odd", "No labels; \\ at the end \\"));
  registry.add(registry.counter(odd, {}), round == 0 ? 123456789012.0 : 1e-05);

  // Bucket edges whose text forms differ between naive formatting and floatToGoString.
  const auto ttft =
      registry.add_family(histogram_spec("vllm:time_to_first_token_seconds", kHelp, labels,
                                         {1e-05, 0.005, 0.1 + 0.2, 1.0, 2.5, 1234567.0, 2.5e7,
                                          123456789.0, 1e16, std::numeric_limits<double>::max()}));
  for (const double value : {0.0, 1e-06, 0.004, 0.3, 1.0, 2.0, 3e6, 1e20}) {
    registry.observe(registry.histogram(ttft, model), value * (round + 1));
  }
  registry.observe(registry.histogram(ttft, {"m/13b", "1"}), 0.25);

  const std::pair<const char *, GaugeMode> modes[] = {
      {"all", GaugeMode::kAll},
      {"liveall", GaugeMode::kLiveAll},
      {"min", GaugeMode::kMin},
      {"livemin", GaugeMode::kLiveMin},
      {"max", GaugeMode::kMax},
      {"livemax", GaugeMode::kLiveMax},
      {"sum", GaugeMode::kSum},
      {"livesum", GaugeMode::kLiveSum},
      {"mostrecent", GaugeMode::kMostRecent},
      {"livemostrecent", GaugeMode::kLiveMostRecent},
  };
  for (const auto &[name, mode] : modes) {
    // v1 readers know no mostrecent mode: a v1 folder has none (as the store writes v1).
    if (!v2 && is_most_recent_gauge_mode(mode)) continue;
    const auto family =
        registry.add_family(gauge_spec(std::string("vllm:gauge_") + name, kHelp, {"engine"}, mode));
    registry.set(registry.gauge(family, {"0"}), round == 0 ? -0.0 : 0.75);
    registry.set(registry.gauge(family, {kNasty}), round == 0 ? 1e22 : -1.5);
    registry.set(registry.gauge(family, {"inf"}),
                 round == 0 ? std::numeric_limits<double>::infinity() : 2.0);
  }

  // Not started, so never stopped: the live gauge files stay after exit, as a running
  // process's files would be. Held by a static pointer, so LeakSanitizer sees it reachable.
  static Publisher *publisher =
      new Publisher(registry, {{dir, v2 ? FormatPreference::kV2 : FormatPreference::kV1, "", {}},
                               std::chrono::milliseconds(500)});
  return publisher->flush_now() ? 0 : 1;
}
