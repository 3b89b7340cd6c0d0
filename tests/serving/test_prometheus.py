#!/usr/bin/python3
"""A real Prometheus (Debian's /usr/bin/prometheus) scrapes the harness's /metrics every second
while two data-parallel workers under npuprobe serve requests; its HTTP query API must see the
steps rate of each dp and a finite median forward time per dp. This is what a user's Prometheus
sees: the exposition must parse, counters must be monotonic across scrapes, buckets cumulative.

Run in tests/serving/: /usr/bin/python3 -m unittest -v test_prometheus
(NPUPROBE_BUILD=/abs/build-folder to use another build than the repo's build/)
"""
import math
import os
import unittest

from prometheus_server import PROMETHEUS, SANITIZED, ServingStack, wait_until

# Wide enough for several 1 s scrapes, narrow enough that the data is from this run's load.
WINDOW = "10s"
STEPS_RATE = f"sum by (dp) (rate(vllm_profiling_npu:steps_total[{WINDOW}]))"
FORWARD_P50 = ("histogram_quantile(0.5, sum by (le, dp) "
               f"(rate(vllm_profiling_npu:forward_duration_bucket[{WINDOW}])))")


def by_dp(answer):
    """{dp: float value} of an instant-vector answer (empty when the query failed)."""
    if answer.get("status") != "success":
        return {}
    return {r["metric"].get("dp"): float(r["value"][1]) for r in answer["data"]["result"]}


@unittest.skipUnless(os.path.exists(PROMETHEUS),
                     f"{PROMETHEUS} absent: install Debian's prometheus (scripts/setup-deps.sh)")
@unittest.skipIf(SANITIZED, "sanitizer build: its libnpuprobe.so cannot be preloaded into python3")
class PrometheusTest(unittest.TestCase):
    def test_steps_rate_and_forward_quantile_per_dp(self):
        with ServingStack() as stack:
            rates = wait_until(lambda: _all_dp(by_dp(stack.query(STEPS_RATE)),
                                               lambda v: v > 0))
            self.assertTrue(rates, f"rate of steps_total not positive for dp 0 and 1: "
                            f"{stack.query(STEPS_RATE)}{stack.diagnostics()}")
            p50 = wait_until(lambda: _all_dp(by_dp(stack.query(FORWARD_P50)),
                                             lambda v: math.isfinite(v) and v > 0))
            self.assertTrue(p50, f"forward p50 not finite for dp 0 and 1: "
                            f"{stack.query(FORWARD_P50)}{stack.diagnostics()}")
            self.assertEqual(stack.load.failed, 0, stack.diagnostics())
        self.assertFalse(stack.stop_result["leftover_processes"])
        self.assertFalse(stack.stop_result["sigkill"], "the harness stops on SIGTERM")


def _all_dp(values, ok):
    """values when dp 0 and 1 are both there and pass ok(), else None."""
    if all(dp in values and ok(values[dp]) for dp in ("0", "1")):
        return values
    return None


if __name__ == "__main__":
    unittest.main()
