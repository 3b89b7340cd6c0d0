#!/usr/bin/python3
"""dashboards/npuprobe.json: well-formed for Grafana, and every panel's query accepted by a real
Prometheus scraping the harness (two data-parallel workers under npuprobe with task-time mode 2
and memory sampling, so every panel has data) and answering at least one finite series.

The harness runs with expert parallelism and EPLB (--enable-expert-parallel --enable-eplb), so
the communication panels have collectives to show; a panel of a family only some setups write
(OPTIONAL_FAMILIES: npu:hccl_duration) may answer nothing while that family is absent.

Then, with the load stopped, every panel is checked for its exact value: each query with its
rates replaced by the counters' totals (rate(x[w]) -> x, so a ratio of rates becomes the ratio of
totals and a quantile of rated buckets the quantile of the total buckets) must answer, series by
series, exactly what the panel's definition computes from the harness's final /metrics text
(EXPECTED below, one entry per panel target), and the steps panel must add up to 9 steps per
completed request. A wrong grouping, a swapped ratio or a label the panel drops is a failure.

Run in tests/serving/: /usr/bin/python3 -m unittest -v test_dashboard
(NPUPROBE_BUILD=/abs/build-folder to use another build than the repo's build/)
"""
import json
import math
import os
import re
import unittest
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from prometheus_server import PROMETHEUS, SANITIZED, ServingStack, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "..", "..", "dashboards", "npuprobe.json")
# What Grafana would put in for the template variables: "All" of dp and device is the regex .*
# (allValue), and $__rate_interval is at least four 1 s scrapes.
SUBSTITUTIONS = [(re.compile(r"\$\{?(dp|device)\}?"), ".*"),
                 (re.compile(r"\$\{?__rate_interval\}?"), "10s")]


PREFIX = "vllm_profiling_npu:"
STEPS_PER_REQUEST = 1 + 8  # Load's max_tokens=8: one prefill and 8 decode steps per request
RATE = re.compile(r"rate\((\w[\w:]*\{[^}]*\})\[[^\]]+\]\)")
# Families a panel may plot that only some builds or setups write: npu:hccl_duration (the device
# time of each collective, from MSPTI's HCCL records) comes with the task-time work on HCCL
# records. A query of such a family answers nothing while no series of it exists, and is held
# to the same checks as every other once one does.
OPTIONAL_FAMILIES = (PREFIX + "hccl_duration_bucket",)


def optional_and_absent(expr, query):
    """True when `expr` plots an optional family that Prometheus holds no series of."""
    for family in OPTIONAL_FAMILIES:
        if family in expr:
            answer = query(f"count({family})")
            return answer.get("status") == "success" and not answer["data"]["result"]
    return False


def totals_form(expr):
    """The panel's query with every rate(x[w]) replaced by x: what it answers over the whole
    run once the counters stop moving."""
    return RATE.sub(r"\1", to_promql(expr))


class Exposition:
    """The final /metrics text, with the aggregations the panels use."""

    def __init__(self, text):
        self.samples = [(s.name, s.labels, s.value)
                        for f in text_string_to_metric_families(text) for s in f.samples]

    def _group(self, name, keys, combine):
        out = {}
        for sample_name, labels, value in self.samples:
            if sample_name == PREFIX + name:
                key = tuple(labels.get(k, "") for k in keys)
                out[key] = combine(out[key], value) if key in out else value
        return out

    def sum_by(self, name, keys):
        return self._group(name, keys, lambda a, b: a + b)

    def max_by(self, name, keys):
        return self._group(name, keys, max)

    def quantile(self, q, name, keys=("dp", "device")):
        """histogram_quantile(q, sum by (le, *keys) (name_bucket)) as Prometheus computes
        it (promql/quantile.go bucketQuantile: linear interpolation inside the bucket that holds
        the rank; the rank in the +Inf bucket answers the highest finite bound)."""
        buckets = {}
        for (le, *key), count in self.sum_by(name + "_bucket", ("le",) + tuple(keys)).items():
            buckets.setdefault(tuple(key), []).append((float(le), count))
        out = {}
        for key, pairs in buckets.items():
            pairs.sort()
            total = pairs[-1][1]
            if len(pairs) < 2 or total == 0:
                out[key] = math.nan
                continue
            rank = q * total
            b = next(i for i, (_, c) in enumerate(pairs) if c >= rank)
            if b == len(pairs) - 1:
                out[key] = pairs[-2][0]
                continue
            start, below = (pairs[b - 1][0], pairs[b - 1][1]) if b > 0 else (0.0, 0.0)
            end, count = pairs[b]
            out[key] = start + (end - start) * (rank - below) / (count - below)
        return out


def ratio(numerator, denominator):
    return {k: numerator[k] / denominator[k] for k in numerator if k in denominator}


DP_DEVICE = ("dp", "device")
DP_DEVICE_OP = DP_DEVICE + ("op",)
# panel id, refId -> (the labels its series are keyed by, what it must answer from the final
# exposition). A panel added without an entry here fails test_every_panel_is_exact.
EXPECTED = {
    (1, "A"): (DP_DEVICE, lambda e: e.quantile(0.5, "forward_duration")),
    (1, "B"): (DP_DEVICE, lambda e: e.quantile(0.99, "forward_duration")),
    (2, "A"): (DP_DEVICE, lambda e: e.quantile(0.5, "kernel_launch")),
    (2, "B"): (DP_DEVICE, lambda e: e.quantile(0.99, "kernel_launch")),
    (3, "A"): (DP_DEVICE, lambda e: e.quantile(0.5, "non_forward_duration")),
    (3, "B"): (DP_DEVICE, lambda e: e.quantile(0.99, "non_forward_duration")),
    (4, "A"): (DP_DEVICE + ("api",), lambda e: e.sum_by("launches_total", DP_DEVICE + ("api",))),
    (5, "A"): (DP_DEVICE, lambda e: ratio(
        e.sum_by("non_forward_duration_sum", DP_DEVICE),
        {k: v + e.sum_by("non_forward_duration_sum", DP_DEVICE).get(k, math.nan)
         for k, v in e.sum_by("forward_duration_sum", DP_DEVICE).items()})),
    (6, "A"): (DP_DEVICE, lambda e: ratio(e.sum_by("launch_api_duration_sum", DP_DEVICE),
                                         e.sum_by("launch_api_duration_count", DP_DEVICE))),
    (7, "A"): (DP_DEVICE, lambda e: e.sum_by("device_busy_total", DP_DEVICE)),
    (8, "A"): (DP_DEVICE, lambda e: e.sum_by("memory:allocated_bytes", DP_DEVICE)),
    (8, "B"): (DP_DEVICE, lambda e: e.max_by("memory:peak_allocated_bytes", DP_DEVICE)),
    (8, "C"): (DP_DEVICE, lambda e: e.max_by("memory:hbm_used_bytes", DP_DEVICE)),
    (8, "D"): (DP_DEVICE, lambda e: e.max_by("memory:hbm_total_bytes", DP_DEVICE)),
    (9, "A"): (DP_DEVICE, lambda e: e.sum_by("steps_total", DP_DEVICE)),
    # Communication (the harness runs with expert parallelism and EPLB: all-to-all-v every step,
    # a broadcast every 3 steps).
    (11, "A"): (DP_DEVICE_OP, lambda e: e.sum_by("hccl_calls_total", DP_DEVICE_OP)),
    (12, "A"): (DP_DEVICE_OP, lambda e: e.sum_by("hccl_bytes_total", DP_DEVICE_OP)),
    (13, "A"): (DP_DEVICE_OP, lambda e: e.quantile(0.5, "hccl_launch_latency", DP_DEVICE_OP)),
    (13, "B"): (DP_DEVICE_OP, lambda e: e.quantile(0.99, "hccl_launch_latency", DP_DEVICE_OP)),
    (14, "A"): (DP_DEVICE, lambda e: ratio(e.sum_by("step_hccl_duration_sum", DP_DEVICE),
                                          e.sum_by("forward_duration_sum", DP_DEVICE))),
    (15, "A"): (DP_DEVICE_OP, lambda e: e.quantile(0.5, "hccl_duration", DP_DEVICE_OP)),
    (15, "B"): (DP_DEVICE_OP, lambda e: e.quantile(0.99, "hccl_duration", DP_DEVICE_OP)),
}


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def to_promql(expr):
    for pattern, value in SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    return expr


def dashboard_queries(dashboard):
    """(name, PromQL) for every panel target, and for each query variable's label_values(),
    as the `count by (label) (selector)` Prometheus answers for it."""
    queries = [(f"panel {p['id']} '{p['title']}' {t['refId']}", to_promql(t["expr"]))
               for p in dashboard["panels"] for t in p.get("targets", [])]
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", var["query"]["query"])
            queries.append((f"variable {var['name']}",
                            f"count by ({m.group(2)}) ({to_promql(m.group(1))})"))
    return queries


class DashboardFormTest(unittest.TestCase):
    """What Grafana needs to import the file and wire every panel to the chosen data source."""

    def setUp(self):
        self.dashboard = load_dashboard()

    def test_top_level(self):
        d = self.dashboard
        self.assertGreaterEqual(d["schemaVersion"], 36)
        for key in ("title", "uid", "time", "templating", "panels"):
            self.assertIn(key, d)
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for name in ("dp", "device"):
            self.assertEqual(variables[name]["allValue"], ".*", name)
            self.assertEqual(variables[name]["datasource"]["uid"], "${datasource}", name)

    def test_panels(self):
        panels = self.dashboard["panels"]
        ids = [p["id"] for p in panels]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
        cells = set()
        for p in panels:
            where = f"panel {p.get('id')} {p.get('title')!r}"
            self.assertIsInstance(p["id"], int, where)
            self.assertTrue(p["title"] and p["type"], where)
            if p["type"] == "row":  # a section title across the grid: no query of its own
                g = p["gridPos"]
                self.assertEqual((g["h"], g["w"], g["x"]), (1, 24, 0), where)
                self.assertNotIn("targets", p, where)
                mine = {(x, g["y"]) for x in range(24)}
                self.assertFalse(cells & mine, f"{where} overlaps another panel")
                cells |= mine
                continue
            self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"},
                             where)
            g = p["gridPos"]
            self.assertTrue(all(isinstance(g[k], int) for k in "hwxy"), where)
            self.assertTrue(g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24,
                            where)
            # Overlapping panels would be moved by Grafana on load: a layout mistake.
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])}
            self.assertFalse(cells & mine, f"{where} overlaps another panel")
            cells |= mine
            self.assertTrue(p["targets"], where)
            ref_ids = [t["refId"] for t in p["targets"]]
            self.assertEqual(len(ref_ids), len(set(ref_ids)), f"{where}: refIds unique")
            for t in p["targets"]:
                self.assertTrue(t["refId"] and t["expr"].strip(), where)
                self.assertNotIn("$", to_promql(t["expr"]), f"{where}: unknown variable")

    def test_covers_the_issue_metrics(self):
        exprs = " ".join(t["expr"] for p in self.dashboard["panels"] for t in p.get("targets", []))
        for family in ("forward_duration_bucket", "kernel_launch_bucket",
                       "non_forward_duration_bucket", "launches_total",
                       "non_forward_duration_sum", "launch_api_duration_sum",
                       "launch_api_duration_count", "memory:allocated_bytes",
                       "memory:peak_allocated_bytes", "memory:hbm_used_bytes",
                       "device_busy_total", "hccl_calls_total", "hccl_bytes_total",
                       "hccl_launch_latency_bucket", "step_hccl_duration_sum",
                       "hccl_duration_bucket"):
            self.assertIn("vllm_profiling_npu:" + family, exprs)


@unittest.skipUnless(os.path.exists(PROMETHEUS),
                     f"{PROMETHEUS} absent: install Debian's prometheus (scripts/setup-deps.sh)")
@unittest.skipIf(SANITIZED, "sanitizer build: its libnpuprobe.so cannot be preloaded into python3")
class DashboardQueryTest(unittest.TestCase):
    def test_every_query_has_data(self):
        queries = dashboard_queries(load_dashboard())
        with ServingStack(full_config=True) as stack:
            rejected = {n: a for n, a in ((n, stack.query(e)) for n, e in queries)
                        if a.get("status") != "success"}
            self.assertEqual(rejected, {}, "queries Prometheus rejects")

            def without_data():
                return {name: answer["data"]["result"] for name, answer in
                        ((n, stack.query(e)) for n, e in queries
                         if not optional_and_absent(e, stack.query))
                        if not any(math.isfinite(float(r["value"][1]))
                                   for r in answer["data"]["result"])}
            # Rates need two scrapes after the first requests: poll while the load runs.
            bad = {} if wait_until(lambda: not without_data(), timeout_s=60) else without_data()
            self.assertEqual(bad, {}, "queries without a finite series:\n"
                             + "\n".join(f"{n}: {v}" for n, v in bad.items())
                             + stack.diagnostics())
            # What every panel plots is a count, a rate, a duration, a share or a byte count:
            # never negative (a counter that went down, a subtraction the wrong way round).
            negative = {n: [r for r in answer["data"]["result"]
                            if float(r["value"][1]) < 0]
                        for n, answer in ((n, stack.query(e)) for n, e in queries)}
            self.assertEqual({n: v for n, v in negative.items() if v}, {},
                             "queries answering a negative value")
            self.assertEqual(stack.load.failed, 0, stack.diagnostics())
            self._check_exact_values(stack)
        self.assertFalse(stack.stop_result["leftover_processes"])

    def _check_exact_values(self, stack):
        stack.load.stop()
        self.assertEqual(stack.load.failed, 0, stack.diagnostics())
        want_steps = STEPS_PER_REQUEST * stack.load.ok

        def final_text():
            with urllib.request.urlopen(stack.harness.url + "/metrics", timeout=10) as r:
                text = r.read().decode()
            steps = Exposition(text).sum_by("steps_total", ())
            return text if steps.get((), 0) == want_steps else None
        text = wait_until(final_text, timeout_s=30, interval_s=0.2)
        self.assertIsNotNone(text, f"steps never reached {want_steps}" + stack.diagnostics())
        targets = {(p["id"], t["refId"]): t["expr"]
                   for p in load_dashboard()["panels"] for t in p.get("targets", [])}
        self.assertEqual(sorted(targets), sorted(EXPECTED), "panels without an exact check")

        def answers():
            out = {}
            for target, (keys, _) in EXPECTED.items():
                answer = stack.query(totals_form(targets[target]))
                self.assertEqual(answer.get("status"), "success", (target, answer))
                out[target] = {tuple(r["metric"].get(k, "") for k in keys): float(r["value"][1])
                               for r in answer["data"]["result"]}
            return out

        def fresh_exposition():
            with urllib.request.urlopen(stack.harness.url + "/metrics", timeout=10) as r:
                return Exposition(r.read().decode())

        def mismatches(got, exposition):
            bad = {}
            for target, (_, expected) in EXPECTED.items():
                want = expected(exposition)
                if sorted(got[target]) != sorted(want) or not all(
                        same(got[target][k], want[k]) for k in want):
                    bad[target] = {"prometheus": got[target], "from /metrics": want}
            return bad
        # Prometheus scrapes every second, and task-time records may still land after the last
        # step: poll until Prometheus's last scrape is what /metrics says now.
        wait_until(lambda: not mismatches(answers(), fresh_exposition()), timeout_s=30,
                   interval_s=0.5)
        exposition = fresh_exposition()
        self.assertEqual(mismatches(answers(), exposition), {}, "panels whose value is not exact")
        steps = EXPECTED[(9, "A")][1](exposition)
        self.assertEqual(sorted(k[0] for k in steps), ["0", "1"], steps)
        self.assertEqual(sum(steps.values()), want_steps, f"{stack.load.ok} requests")
        launches = {}
        for (dp, _, _), n in EXPECTED[(4, "A")][1](exposition).items():
            launches[dp] = launches.get(dp, 0) + n
        self.assertTrue(all(n > 0 for n in launches.values()), launches)


if __name__ == "__main__":
    unittest.main()
