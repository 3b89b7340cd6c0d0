// reset_after_fork(): the child keeps the families and handles but starts every count, step,
// remembered pointer and event from nothing. (The fork itself is simulated: the registry and the
// probes are reset the way the preload's atfork child handler does it.)
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class ForkTest : public ProbeTest {
 protected:
  void fork_child_reset() {
    registry().prepare_fork();
    registry().reset_after_fork();
    probes().reset_after_fork();
  }
};

TEST_F(ForkTest, TheChildStartsFromNothing) {
  int event = 0;
  int block = 0;
  const std::uint32_t api = probes().register_api("aclrtMalloc");
  launch(0, 3, kStart);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);
  launch(0, 2, kStart + 3 * kMs);  // open in the parent
  probes().on_record_event(0, &event, kStart + 4 * kMs);
  probes().on_alloc(0, AllocKind::kDevice, &block, 100, true, kStart, kStart + 1);
  probes().on_api_error(api, 7);

  fork_child_reset();
  // The parent's open step, event and allocation are not the child's.
  sync(0, SyncApi::kEvent, kStart + 10 * kMs, kStart + 11 * kMs, &event);
  probes().on_free(AllocKind::kDevice, &block, true);
  probes().before_flush();
  MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 0);
  EXPECT_EQ(m.counter("npu:launches", dev_api(0, "aclnn")), 0);
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(0)), 0);
  EXPECT_EQ(m.gauge("npu:memory:peak_allocated_bytes", dev(0)), 0);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "free_unknown_pointer"}), 1);
  EXPECT_EQ(m.series_count("npu:api_errors"), 0u);  // the parent's error is not re-added

  // The child measures afresh: its first step has no non_forward.
  EXPECT_EQ(probes().register_api("aclrtMalloc"), api);
  launch(0, 4, kStart + 20 * kMs);
  probes().on_record_event(0, &event, kStart + 21 * kMs);
  sync(0, SyncApi::kEvent, kStart + 21 * kMs, kStart + 22 * kMs, &event);
  probes().on_api_error(api, 7);
  probes().before_flush();
  m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 4);
  EXPECT_EQ(m.histogram("npu:non_forward_duration", dev(0)).count, 0);
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtMalloc", "7"}), 1);
}

}  // namespace
}  // namespace npuprobe::probes::testing
