"""`promtool check metrics` (Debian's Prometheus 2.42) on every exposition npuprobe writes:
`npuprobe dump`, `npuprobe serve` and the embedded exposer, over a folder with every kind of
series npuprobe makes (task time with MSPTI, memory sampling, op labels, attribution's sites,
histograms with their buckets), over the Python-written golden folders, and over a folder whose
HELP texts and label values carry newlines, backslashes and quotes. The one complaint allowed is
the colon-name lint ("metric names should not contain ':'") for families whose names carry the
colon the contract gives them (docs/contract.md); anything else promtool says is a failure.

Run in tests/e2e/: NPUPROBE_BUILD=/abs/build /usr/bin/python3 -m unittest -v test_promtool
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

from npuprobe_run import CLI, MOCK_LIB, NPU_SIM, SANITIZED, TIME_SCALE, preload_env, wait_until

PROMTOOL = "/usr/bin/promtool"
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                      "prometheus-multiproc")
COLON_LINT = re.compile(r"^(\S+) metric names should not contain ':'$")
CONFIG = ("task_time:\n  mode: 2\n  prof_dir: {prof}\nmemory:\n  sample_hz: 20\n"
          "attribution:\n  slow_launch_us: 1\n")
# Python (Debian's prometheus_client 0.16, multiprocess mode) writes what a HELP text and a
# label value can hold that the text format must escape.
PYTHON_WRITER = r"""
from prometheus_client import Counter, Gauge, Histogram
c = Counter("odd:requests", 'Requests "quoted", back\\slash\nand a second line', ["path"])
c.labels(path='a "b" c\\d\ne').inc(3)
Gauge("odd:queue", "Queue depth\\n literal", multiprocess_mode="livesum").set(7)
Histogram("odd:latency", "Latency\nin seconds", buckets=(0.005, 0.25, 1.0)).observe(0.1)
"""


def families_of(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


@unittest.skipIf(SANITIZED, "the embedded exposer's scrape needs the plain build's timings")
@unittest.skipUnless(os.access(PROMTOOL, os.X_OK), "no /usr/bin/promtool")
class PromtoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="npuprobe-promtool-")
        cls.store = os.path.join(cls.tmp, "store")
        os.mkdir(cls.store)
        config = os.path.join(cls.tmp, "npuprobe.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(prof=os.path.join(cls.tmp, "prof")))
        env = preload_env(cls.store, {"NPUPROBE_CONFIG": config, "NPUPROBE_OP_LABEL": "1"})
        env["LD_PRELOAD"] += " " + os.path.join(MOCK_LIB, "libmspti.so")
        out = subprocess.run([NPU_SIM, "--steps", "30", "--launches", "12", "--ops", "6",
                              "--binding", "opapi-per-op", "--devices", "0,1",
                              "--stray-sync-every", "5", "--alloc-bytes", "4096"],
                             env=env, capture_output=True, text=True, timeout=120 * TIME_SCALE)
        assert out.returncode == 0, out.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def lint(self, text, what):
        """promtool's complaints about `text`, each checked to be the colon lint of a family
        in it whose name has a colon."""
        self.assertTrue(text.strip(), f"{what}: empty exposition")
        out = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                             text=True, timeout=60)
        families = families_of(text)
        complaints = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
        for line in complaints:
            match = COLON_LINT.match(line)
            self.assertTrue(match, f"{what}: promtool says: {line}\n{text[:3000]}")
            self.assertIn(match.group(1), families, f"{what}: {line}")
            self.assertIn(":", match.group(1), f"{what}: {line}")
        # Every colon family is named once, and the lint is the only reason promtool fails.
        self.assertEqual(sorted(COLON_LINT.match(l).group(1) for l in complaints),
                         sorted(f for f in families if ":" in f), what)
        self.assertEqual(out.returncode, 3 if complaints else 0, f"{what}: {out.stderr}")
        return families

    def dump(self, folder):
        out = subprocess.run([CLI, "dump", "--dir", folder], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_dump_of_every_kind_of_npuprobe_series(self):
        families = self.lint(self.dump(self.store), "dump")
        for family in ("npu:kernels_total", "npu:memory:allocated_bytes",
                       "npu:op_launches_total", "npu:sync_sites_total", "npu:forward_duration",
                       "npuprobe:info"):
            self.assertIn("vllm_profiling_" + family, families)

    def test_dump_of_the_python_written_golden_folders(self):
        for name in sorted(os.listdir(GOLDEN)):
            folder = os.path.join(GOLDEN, name)
            if os.path.isdir(folder):
                with self.subTest(folder=name):
                    self.lint(self.dump(folder), name)

    def test_help_and_label_values_that_need_escaping(self):
        folder = os.path.join(self.tmp, "odd")
        os.mkdir(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "NPUPROBE_"))}
        env["PROMETHEUS_MULTIPROC_DIR"] = folder
        subprocess.run(["/usr/bin/python3", "-c", PYTHON_WRITER], env=env, check=True,
                       timeout=60)
        text = self.dump(folder)
        # '"' is escaped in label values only; '\\' and newlines in both, as generate_latest does.
        self.assertIn('path="a \\"b\\" c\\\\d\\ne"', text)
        self.assertIn('Requests "quoted", back\\\\slash\\nand a second line', text)
        self.lint(text, "escaping")

    def test_serve_answers_the_same_lint_free_text(self):
        port_file = os.path.join(self.tmp, "serve.log")
        with open(port_file, "w") as log:
            serve = subprocess.Popen([CLI, "serve", "--dir", self.store, "--listen",
                                      "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT)
        try:
            def port():
                with open(port_file) as f:
                    found = re.search(r"\(port (\d+)\)", f.read())
                return found and found.group(1)
            self.assertTrue(wait_until(port, timeout=20 * TIME_SCALE), "serve did not start")
            with urllib.request.urlopen(f"http://127.0.0.1:{port()}/metrics", timeout=10) as r:
                text = r.read().decode()
            self.assertEqual(text, self.dump(self.store))
            self.lint(text, "serve")
        finally:
            serve.terminate()
            serve.wait(20)

    def test_the_embedded_exposer(self):
        env = preload_env(None, {"NPUPROBE_LISTEN": "127.0.0.1:0"})
        log_path = os.path.join(self.tmp, "embedded.log")
        with open(log_path, "w") as log:
            sim = subprocess.Popen([NPU_SIM, "--steps", "600", "--launches", "2",
                                    "--host-gap-us", "10000", "--devices", "0"],
                                   env=dict(env, NPUPROBE_LOG_LEVEL="info"),
                                   stdout=subprocess.DEVNULL, stderr=log)
        try:
            def url():
                with open(log_path) as f:
                    # "serving <folder> on http://127.0.0.1:0/metrics (port <bound>)"
                    found = re.search(r"http://127\.0\.0\.1:\d+/metrics \(port (\d+)\)",
                                      f.read())
                return found and f"127.0.0.1:{found.group(1)}"
            self.assertTrue(wait_until(url, timeout=20 * TIME_SCALE),
                            "the embedded exposer named no address: " + open(log_path).read())

            def scraped():
                with urllib.request.urlopen(f"http://{url()}/metrics", timeout=10) as r:
                    text = r.read().decode()
                return text if "vllm_profiling_npu:steps_total" in text else None
            text = wait_until(scraped, timeout=20 * TIME_SCALE)
            self.assertTrue(text, "the embedded exposer never showed steps")
            self.lint(text, "embedded exposer")
        finally:
            sim.kill()
            sim.wait(20)


if __name__ == "__main__":
    unittest.main()
