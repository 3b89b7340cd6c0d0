// A Probes on a fresh registry, a fake clock (plain nanosecond numbers) and shorthands for the
// event sequences the tests replay.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "metric_reader.h"
#include "npuprobe/probes/probes.h"

namespace npuprobe::probes::testing {

constexpr std::uint64_t kUs = 1000;
constexpr std::uint64_t kMs = 1000 * kUs;
constexpr std::uint64_t kStart = 1000 * kMs;  // timestamps are never 0 (0 = "none")

inline double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

class ProbeTest : public ::testing::Test {
 protected:
  ProbeTest() { configure(ProbeOptions{}); }

  // A new registry and probes (families can be registered once per registry).
  void configure(ProbeOptions options) {
    probes_.reset();
    registry_ = std::make_unique<store::MetricRegistry>();
    probes_ = std::make_unique<Probes>(*registry_, std::move(options));
  }

  // `count` launches on `device`: the first starts at `t`, each takes `cost` and starts `gap`
  // after the previous one. Returns the end of the last launch.
  std::uint64_t launch(int device, int count, std::uint64_t t, std::uint64_t gap = 10 * kUs,
                       std::uint64_t cost = 5 * kUs, LaunchApi api = LaunchApi::kAclnn) {
    std::uint64_t end = t;
    for (int i = 0; i < count; ++i, t += gap) {
      probes_->on_launch(device, api, t, t + cost);
      end = t + cost;
    }
    return end;
  }

  void sync(int device, SyncApi api, std::uint64_t t0, std::uint64_t t1,
            const void *event = nullptr) {
    probes_->on_sync(device, api, event, t0, t1);
  }

  MetricReader read() const { return MetricReader(*registry_); }

  Probes &probes() { return *probes_; }
  store::MetricRegistry &registry() { return *registry_; }

 private:
  std::unique_ptr<store::MetricRegistry> registry_;
  std::unique_ptr<Probes> probes_;
};

}  // namespace npuprobe::probes::testing
