#!/usr/bin/python3
"""dashboards/npuprobe.json: well-formed for Grafana, and every panel's query accepted by a real
Prometheus scraping the harness (two data-parallel workers under npuprobe with task-time mode 2
and memory sampling, so every panel has data) and answering at least one finite series.

Run in tests/serving/: /usr/bin/python3 -m unittest -v test_dashboard
(NPUPROBE_BUILD=/abs/build-folder to use another build than the repo's build/)
"""
import json
import math
import os
import re
import unittest

from prometheus_server import PROMETHEUS, SANITIZED, ServingStack, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "..", "..", "dashboards", "npuprobe.json")
# What Grafana would put in for the template variables: "All" of dp and device is the regex .*
# (allValue), and $__rate_interval is at least four 1 s scrapes.
SUBSTITUTIONS = [(re.compile(r"\$\{?(dp|device)\}?"), ".*"),
                 (re.compile(r"\$\{?__rate_interval\}?"), "10s")]


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
               for p in dashboard["panels"] for t in p["targets"]]
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
        exprs = " ".join(t["expr"] for p in self.dashboard["panels"] for t in p["targets"])
        for family in ("forward_duration_bucket", "kernel_launch_bucket",
                       "non_forward_duration_bucket", "launches_total",
                       "non_forward_duration_sum", "launch_api_duration_sum",
                       "launch_api_duration_count", "memory:allocated_bytes",
                       "memory:peak_allocated_bytes", "memory:hbm_used_bytes",
                       "device_busy_total"):
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
                        ((n, stack.query(e)) for n, e in queries)
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
        self.assertFalse(stack.stop_result["leftover_processes"])


if __name__ == "__main__":
    unittest.main()
