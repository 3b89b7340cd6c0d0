#!/usr/bin/python3
"""The colon-name trap (docs/exposition.md, "Colon names"), against a real Prometheus.

npu-sim runs on two devices under `npuprobe run` as two HCCL ranks (task-time mode 2, memory
sampling and MoE all-to-alls, so every dashboard panel has data), and vLLM's own kind of metric (`vllm:prompt_tokens`, written by the
client itself) goes into the same folder. The folder is served by prometheus_client 0.25.0 (the
vendored source tree), as vLLM with a current client serves it, and Debian's Prometheus 2.42
scrapes it twice: job `raw` as Prometheus comes, job `relabelled` with the rules of
dashboards/prometheus-relabel.yml. Checked:
- the trap is real: job `raw` holds only underscore names (OpenMetrics from 0.25);
- with the rules, every sample name `npuprobe dump` prints (colons and all) is there, nothing is
  left under an underscore name, and the counters hold exactly the values dump prints;
- every query of dashboards/npuprobe.json answers at least one finite series.

Run in tests/serving/: /usr/bin/python3 -m unittest -v test_colon_names
(NPUPROBE_BUILD=/abs/build-folder to use another build than the repo's build/; the 0.25.0 tree is
../shared/vendor/client_python/0.25.0 beside the clone, or NPUPROBE_CLIENT_PYTHON_0_25; without it
the test is skipped, or fails with CI=true)
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from prometheus_server import BUILD, PROMETHEUS, SANITIZED, PrometheusServer, wait_until
from test_dashboard import dashboard_queries, load_dashboard, optional_and_absent

HERE = os.path.dirname(os.path.abspath(__file__))
RELABEL = os.path.join(HERE, "..", "..", "dashboards", "prometheus-relabel.yml")
CLIENT_0_25 = os.environ.get("NPUPROBE_CLIENT_PYTHON_0_25", os.path.abspath(
    os.path.join(HERE, "..", "..", "..", "shared", "vendor", "client_python", "0.25.0")))
CONFIG = "task_time:\n  mode: 2\n  prof_dir: {prof}\nmemory:\n  sample_hz: 10\n"
PROMPT_TOKENS = 37  # what the exporter adds to vllm:prompt_tokens

# The exporter: prometheus_client 0.25 in multiprocess mode, as vLLM runs it with several API
# servers; it writes one vLLM-style counter of its own into the folder first.
EXPORTER = """
import sys, time
import prometheus_client
from prometheus_client import CollectorRegistry, Counter, multiprocess, start_http_server
assert prometheus_client.__file__.startswith(sys.argv[2]), prometheus_client.__file__
Counter("vllm:prompt_tokens", "Prefill tokens processed").inc({tokens})
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
""".format(tokens=PROMPT_TOKENS)

SCRAPE = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: raw
    static_configs:
      - targets: ["{target}"]
  - job_name: relabelled
    static_configs:
      - targets: ["{target}"]
{relabel}
"""


def relabelled_job_rules():
    with open(RELABEL) as f:
        return textwrap.indent(f.read(), "    ")


def series(answer):
    return answer["data"]["result"] if answer.get("status") == "success" else []


@unittest.skipIf(SANITIZED, "an instrumented preload cannot go into /usr/bin/python3")
@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), "no /usr/bin/prometheus")
class ColonNamesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(CLIENT_0_25, "prometheus_client")):
            message = f"prometheus_client 0.25.0 not at {CLIENT_0_25}"
            if os.environ.get("CI") == "true":
                raise AssertionError(message + " (CI=true: it must run, not skip)")
            raise unittest.SkipTest(message)
        cls.dir = tempfile.mkdtemp(prefix="npuprobe-colon-")
        cls.store = os.path.join(cls.dir, "store")
        cls.processes = []
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        config = os.path.join(cls.dir, "npuprobe.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(prof=os.path.join(cls.dir, "prof")))
        mock_lib = os.path.join(BUILD, "mock", "lib")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LD_", "NPUPROBE_", "PROMETHEUS_"))}
        env.update(NPUPROBE_LISTEN="off", NPUPROBE_FLUSH_MS="200",
                   NPUPROBE_REGISTRY_DIR=os.path.join(cls.dir, "registry"),
                   LD_PRELOAD=os.path.join(mock_lib, "libmspti.so"))
        # ~20 s of steps on two devices (two HCCL ranks, MoE all-to-alls every step, for the
        # communication panels): long enough for rates over several scrapes.
        with open(os.path.join(cls.dir, "sim.log"), "w") as log:
            cls.sim = subprocess.Popen(
                [os.path.join(BUILD, "bin", "npuprobe"), "run", "--config", config, "--dir",
                 cls.store, "--", os.path.join(BUILD, "mock", "bin", "npu-sim"), "--steps",
                 "2000", "--launches", "4", "--host-gap-us", "10000", "--hccl-ranks", "2",
                 "--moe-layers", "2"],
                env=env, stdout=subprocess.DEVNULL, stderr=log)
        cls.processes.append(cls.sim)
        if not wait_until(lambda: os.path.isdir(cls.store) and any(
                n.startswith("counter_") for n in os.listdir(cls.store)),
                timeout_s=30, interval_s=0.1):
            raise RuntimeError("npu-sim wrote no counter file in 30 s")
        port_file = os.path.join(cls.dir, "exporter.port")
        exporter_env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
        exporter_env.update(PYTHONPATH=CLIENT_0_25, PROMETHEUS_MULTIPROC_DIR=cls.store)
        with open(os.path.join(cls.dir, "exporter.log"), "w") as log:
            exporter = subprocess.Popen(
                ["/usr/bin/python3", "-c", EXPORTER, port_file, CLIENT_0_25],
                env=exporter_env, stdout=subprocess.DEVNULL, stderr=log)
        cls.processes.append(exporter)
        if not wait_until(lambda: os.path.exists(port_file), timeout_s=30, interval_s=0.1):
            raise RuntimeError("the 0.25 exporter did not start: " + cls.log("exporter.log"))
        with open(port_file) as f:
            target = f"127.0.0.1:{f.read().strip()}"
        cls.prometheus = PrometheusServer(
            cls.dir, target, SCRAPE.format(target=target, relabel=relabelled_job_rules()))
        cls.prometheus.start()
        # Several scrapes of both jobs while npu-sim still runs: the dashboard's rates need them.
        if not wait_until(lambda: len(series(cls.prometheus.query(
                'count_over_time(vllm_profiling_npu:steps_total{job="relabelled",device="1"}[1m])'
                ' >= 5'))) == 1, timeout_s=60):
            raise RuntimeError("Prometheus has not scraped the relabelled job 5 times in 60 s")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "prometheus", None):
            cls.prometheus.stop()
        for process in reversed(cls.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log(cls, name):
        with open(os.path.join(cls.dir, name)) as f:
            return f.read()

    def query(self, expr):
        return series(self.prometheus.query(expr))

    def names(self, job):
        return {s["metric"]["__name__"] for s in self.query(f'{{job="{job}"}}')}

    def dumped(self):
        out = subprocess.run([os.path.join(BUILD, "bin", "npuprobe"), "dump", "--dir",
                              self.store], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return [s for f in text_string_to_metric_families(out.stdout) for s in f.samples]

    def test_1_without_the_rules_prometheus_keeps_only_underscore_names(self):
        raw = {n for n in self.names("raw") if n.startswith("vllm")}
        self.assertIn("vllm_profiling_npu_steps_total", raw)
        self.assertIn("vllm_profiling_npu_memory_allocated_bytes", raw)
        self.assertIn("vllm_prompt_tokens_total", raw)
        self.assertEqual({n for n in raw if ":" in n}, set(),
                         "the trap did not happen: this Prometheus or client behaves otherwise")

    def test_2_with_the_rules_every_name_dump_prints_is_there(self):
        # Dump first, then give Prometheus a few scrapes to catch up: a family that appears
        # between the two reads (a first slow launch, say) is not a missing name.
        dumped = {s.name for s in self.dumped()}
        relabelled = wait_until(lambda: (lambda names: names if dumped <= names else None)(
            self.names("relabelled")), timeout_s=15, interval_s=0.5) or self.names("relabelled")
        for name in sorted(dumped):
            self.assertIn(name, relabelled, f"{name}: not in Prometheus under its own name")
        self.assertIn("vllm:prompt_tokens_total", relabelled)
        left = {n for n in relabelled if n.startswith("vllm") and ":" not in n}
        self.assertEqual(left, set(), "names the rules did not give their colons back")

    def test_3_every_dashboard_query_answers(self):
        for name, expr in dashboard_queries(load_dashboard()):
            answer = self.prometheus.query(expr)
            self.assertEqual(answer.get("status"), "success", f"{name}: {expr}: {answer}")
            if optional_and_absent(expr, self.prometheus.query):
                continue
            finite = [s for s in answer["data"]["result"] if math.isfinite(float(s["value"][1]))]
            self.assertTrue(finite, f"{name}: {expr}: no finite series: {answer}")

    def test_4_counters_hold_exactly_what_dump_prints(self):
        self.assertEqual(self.sim.wait(120), 0, self.log("sim.log"))
        final = {(s.name, s.labels.get("device"), s.labels.get("api")): s.value
                 for s in self.dumped()
                 if s.name in ("vllm_profiling_npu:steps_total",
                               "vllm_profiling_npu:launches_total")}
        self.assertEqual(final[("vllm_profiling_npu:steps_total", "0", None)], 2000)

        def scraped():
            got = {(s["metric"]["__name__"], s["metric"].get("device"), s["metric"].get("api")):
                   float(s["value"][1]) for s in self.query(
                       '{job="relabelled",__name__=~"vllm_profiling_npu:(steps|launches)_total"}')}
            return got == final
        self.assertTrue(wait_until(scraped, timeout_s=30, interval_s=0.5),
                        f"Prometheus never held dump's final values {final}")
        prompt = self.query('vllm:prompt_tokens_total{job="relabelled"}')
        self.assertEqual([float(s["value"][1]) for s in prompt], [PROMPT_TOKENS])


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
