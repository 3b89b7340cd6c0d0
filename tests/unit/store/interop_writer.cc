// Interop with the real prometheus_client: writes a store folder through npuprobe (the golden
// ops replayed under the golden pids, plus a multi-threaded workload under this process's own
// "<pid>-npu" files), then exec()s interop_check.py. exec keeps the pid, so the Python side is
// "a Python process with the same pid as an npuprobe writer": it adds its own metrics to the
// folder and checks both sets with MultiProcessCollector. The golden replay is also written alone
// into DIR/golden-replay (not read as part of DIR: the collector reads DIR/*.db only), where the
// real client's result must equal the exposition it gave for its own golden files.
// Which prometheus_client python imports: see interop_check.py and CMakeLists.txt.
//
// usage: store_interop_writer v1|v2 PYTHON interop_check.py
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "npuprobe/store/publisher.h"
#include "support/golden_replay.h"

using namespace npuprobe::store;

namespace {

constexpr int kThreads = 4;
constexpr int kObservationsPerThread = 25000;
const char *const kNastyLabel = "q\"b\\s\nn \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";

bool write_golden_replay(const std::string &dir, StoreFormat format) {
  std::string error;
  if (testing::write_golden_replay(dir, format, &error)) return true;
  std::fprintf(stderr, "%s\n", error.c_str());
  return false;
}

// Mirrored in interop_check.py, which computes the expected values on its own.
// The registry and publisher are left alive on purpose: exec() must come while this process
// is still "running", before a Publisher destructor removes its live gauge file at exit.
bool write_own_workload(const std::string &dir, FormatPreference format) {
  MetricRegistry &registry = *new MetricRegistry();
  const CounterHandle ops = registry.counter(
      registry.add_family(counter_spec("interop_ops_total", "Ops.", {"op"})), {kNastyLabel});
  const HistogramHandle latency =
      registry.histogram(registry.add_family(histogram_spec("interop_latency_seconds", "Latency.",
                                                            {"dp"}, {0.001, 0.01, 0.1, 1, 10})),
                         {"0"});
  const GaugeHandle memory =
      registry.gauge(registry.add_family(gauge_spec("interop_memory_bytes", "Bytes.")), {});
  const GaugeHandle peak = registry.gauge(
      registry.add_family(gauge_spec("interop_peak_bytes", "Peak.", {}, GaugeMode::kMax)), {});
  Publisher &publisher =
      *new Publisher(registry, {{dir, format, "", {}}, std::chrono::milliseconds(2)});
  publisher.start();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      registry.add(ops, 1.5);
      for (int i = 0; i < kObservationsPerThread; ++i) {
        // Multiples of 1/1024: every partial sum is exact, whatever the order of additions.
        registry.observe(latency, ((t * kObservationsPerThread + i) % 1000) / 1024.0);
      }
    });
  }
  for (auto &thread : threads) thread.join();
  registry.set(memory, 123456789);
  registry.set(peak, 42);
  return publisher.flush_now();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s v1|v2 PYTHON interop_check.py\n", argv[0]);
    return 2;
  }
  const std::string format_name = argv[1];
  const StoreFormat format = format_name == "v1" ? StoreFormat::kV1 : StoreFormat::kV2;
  char pattern[] = "/tmp/npuprobe-interop-XXXXXX";
  if (!::mkdtemp(pattern)) return std::perror("mkdtemp"), 1;
  const std::string dir = pattern;
  // auto, not the explicit format: the golden replay's files are "Python's files" here, so
  // this also checks that auto detection follows them.
  const std::string replay_dir = dir + "/golden-replay";
  if (::mkdir(replay_dir.c_str(), 0700) != 0) return std::perror("mkdir"), 1;
  if (!write_golden_replay(dir, format) || !write_golden_replay(replay_dir, format) ||
      !write_own_workload(dir, FormatPreference::kAuto)) {
    return 1;
  }
  const std::string golden = testing::test_data_dir() + "/client_python-" +
                             (format == StoreFormat::kV1 ? "0.16" : "0.25") + "/exposition.txt";
  std::vector<const char *> args = {
      argv[2], argv[3], dir.c_str(), format_name.c_str(), golden.c_str(), replay_dir.c_str(),
      nullptr};
  ::execvp(argv[2], const_cast<char *const *>(args.data()));
  std::perror("exec python");
  return 1;
}
