#!/usr/bin/python3
"""A real Prometheus (Debian's /usr/bin/prometheus) scrapes the harness's /metrics every second
while two data-parallel workers under npuprobe serve requests; its HTTP query API must see the
steps rate of each dp and a finite median forward time per dp. This is what a user's Prometheus
sees: the exposition must parse, counters must be monotonic across scrapes (no reset in
Prometheus's own history), buckets cumulative (in every histogram of the scrapes we read), the
step counts exact once the load stops (each request is 1 prefill + max_tokens decode steps), and
each worker's step time at most the wall time its steps took.

Run in tests/serving/: /usr/bin/python3 -m unittest -v test_prometheus
(NPUPROBE_BUILD=/abs/build-folder to use another build than the repo's build/)
"""
import math
import os
import time
import unittest
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from prometheus_server import PROMETHEUS, SANITIZED, ServingStack, wait_until

# Wide enough for several 1 s scrapes, narrow enough that the data is from this run's load.
WINDOW = "10s"
STEPS_RATE = f"sum by (dp) (rate(vllm_profiling_npu:steps_total[{WINDOW}]))"
FORWARD_P50 = ("histogram_quantile(0.5, sum by (le, dp) "
               f"(rate(vllm_profiling_npu:forward_duration_bucket[{WINDOW}])))")


# Load.complete's max_tokens: a request is one prefill step and 8 decode steps
# (worker_process.py), on the one worker it went to.
STEPS_PER_REQUEST = 1 + 8
PREFIX = "vllm_profiling_npu:"


def monotonic_names(text):
    """The sample names of npuprobe's counters and histograms (_count, _sum, _bucket) in an
    exposition: every one of them only grows."""
    names = set()
    for family in text_string_to_metric_families(text):
        if family.type in ("counter", "histogram") and family.name.startswith(PREFIX):
            names.update(s.name for s in family.samples)
    return sorted(names)


def scrape(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        return response.read().decode()


def histogram_problems(text):
    """Every histogram series of an exposition whose buckets are not cumulative (a count that
    drops as le grows) or whose +Inf bucket is not its _count."""
    problems = []
    for family in text_string_to_metric_families(text):
        if family.type != "histogram" or not family.name.startswith(PREFIX):
            continue
        series = {}
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            key = tuple(sorted(labels.items()))
            entry = series.setdefault(key, {"buckets": [], "count": None})
            if sample.name.endswith("_bucket"):
                entry["buckets"].append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                entry["count"] = sample.value
        for key, entry in series.items():
            counts = [v for _, v in sorted(entry["buckets"])]
            if not counts or counts != sorted(counts):
                problems.append(f"{family.name}{dict(key)}: buckets {sorted(entry['buckets'])}")
            elif counts[-1] != entry["count"]:
                problems.append(f"{family.name}{dict(key)}: +Inf {counts[-1]} != count "
                                f"{entry['count']}")
    return problems


def total_by_dp(text, name):
    """{dp: summed value} of one sample name in an exposition."""
    sums = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                dp = sample.labels.get("dp")
                sums[dp] = sums.get(dp, 0.0) + sample.value
    return sums


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
        started = time.monotonic()
        with ServingStack() as stack:
            rates = wait_until(lambda: _all_dp(by_dp(stack.query(STEPS_RATE)),
                                               lambda v: v > 0))
            self.assertTrue(rates, f"rate of steps_total not positive for dp 0 and 1: "
                            f"{stack.query(STEPS_RATE)}{stack.diagnostics()}")
            p50 = wait_until(lambda: _all_dp(by_dp(stack.query(FORWARD_P50)),
                                             lambda v: math.isfinite(v) and v > 0))
            self.assertTrue(p50, f"forward p50 not finite for dp 0 and 1: "
                            f"{stack.query(FORWARD_P50)}{stack.diagnostics()}")
            # Buckets cumulative and +Inf = _count, in a scrape taken under load.
            self.assertEqual(histogram_problems(scrape(stack.harness.url)), [])

            # Stop the load: every request sent has completed (the threads are joined).
            stack.load.stop()
            self.assertEqual(stack.load.failed, 0, stack.diagnostics())
            requests = stack.load.ok
            elapsed = time.monotonic() - started
            self.assertGreater(requests, 0)
            # npuprobe publishes every 200 ms: wait until the exposition holds every step.
            want = STEPS_PER_REQUEST * requests
            text = wait_until(lambda: (lambda t: t if sum(total_by_dp(
                t, PREFIX + "steps_total").values()) == want else None)(
                    scrape(stack.harness.url)), timeout_s=30, interval_s=0.2) \
                or scrape(stack.harness.url)
            steps = total_by_dp(text, PREFIX + "steps_total")
            self.assertEqual(sum(steps.values()), want, f"{requests} requests: {steps}")
            self.assertEqual(sorted(steps), ["0", "1"])
            for dp, n in steps.items():
                # Each dp's steps are whole requests.
                self.assertEqual(n % STEPS_PER_REQUEST, 0, f"dp {dp}: {n} steps")
            self.assertEqual(total_by_dp(text, PREFIX + "forward_duration_count"), steps)
            # The first step of each worker has no non-forward time before it.
            self.assertEqual(total_by_dp(text, PREFIX + "non_forward_duration_count"),
                             {dp: n - 1 for dp, n in steps.items()})
            self.assertEqual(histogram_problems(text), [])
            # A worker's steps run one after another: its forward and non-forward times are
            # disjoint intervals of the time since the stack started.
            forward = total_by_dp(text, PREFIX + "forward_duration_sum")
            non_forward = total_by_dp(text, PREFIX + "non_forward_duration_sum")
            for dp in ("0", "1"):
                self.assertLessEqual(forward[dp] + non_forward[dp], elapsed,
                                     f"dp {dp}: forward {forward[dp]:.3f} s + non_forward "
                                     f"{non_forward[dp]:.3f} s > {elapsed:.3f} s of run")
            # Prometheus's own history: no counter or bucket of npuprobe ever went down
            # between two of its scrapes (a reset), over the whole run.
            names = monotonic_names(text)
            self.assertIn(PREFIX + "steps_total", names)
            # A series that appeared in the last 200 ms may not be scraped yet: wait until
            # Prometheus holds every one.
            wait_until(lambda: all(stack.query(f"count({n})").get("data", {}).get("result")
                                   for n in names), timeout_s=30, interval_s=0.5)
            for name in names:
                answer = stack.query(f"max(resets({name}[10m]))")
                self.assertEqual(answer.get("status"), "success", answer)
                self.assertTrue(answer["data"]["result"], f"{name} not in Prometheus")
                self.assertEqual(float(answer["data"]["result"][0]["value"][1]), 0.0,
                                 f"{name} went down: {stack.query(f'resets({name}[10m]) > 0')}")
        self.assertFalse(stack.stop_result["leftover_processes"])
        self.assertFalse(stack.stop_result["sigkill"], "the harness stops on SIGTERM")


def _all_dp(values, ok):
    """values when dp 0 and 1 are both there and pass ok(), else None."""
    if all(dp in values and ok(values[dp]) for dp in ("0", "1")):
        return values
    return None


if __name__ == "__main__":
    unittest.main()
