#!/usr/bin/python3
"""Where npuprobe's metrics go in the two setups vLLM makes by itself, without `npuprobe run`
(the harness under a plain LD_PRELOAD, PROMETHEUS_MULTIPROC_DIR unset):
- one API server (data-parallel size 1): vLLM's /metrics shows its own registry only, so
  npuprobe's series are not there; npuprobe's embedded exposer serves them (NPUPROBE_LISTEN);
- several API servers (`--data-parallel-size 2`): vLLM makes a TemporaryDirectory, exports it
  to its engines and removes it at exit; npuprobe writes there and /metrics shows its series.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_vllm_setups   (in tests/serving/)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(os.environ.get("NPUPROBE_BUILD", os.path.join(HERE, "..", "..", "build")))
PRELOAD = os.path.join(BUILD, "lib", "libnpuprobe.so")
SANITIZED = os.environ.get("NPUPROBE_SANITIZER", "none") not in ("", "none")
STEPS = "vllm_profiling_npu:steps_total"


def samples(text):
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text)
            for s in f.samples]


def total(text, name):
    return sum(v for n, _, v in samples(text) if n == name)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def complete(url, max_tokens):
    body = json.dumps({"prompt": "a b c", "max_tokens": max_tokens}).encode()
    request = urllib.request.Request(url + "/v1/completions", data=body)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@unittest.skipIf(SANITIZED, "an instrumented preload cannot go into /usr/bin/python3")
class VllmSetupsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="npuprobe-vllm-setups-")
        self.process = None

    def tearDown(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.process is not None:  # its own session: its private folder is its own
            shutil.rmtree(f"/dev/shm/npuprobe-{os.getuid()}-{self.process.pid}",
                          ignore_errors=True)
        prefix = f"npuprobe_setups_{os.getpid()}"
        for path in (f"/dev/shm/{prefix}_control", f"/dev/shm/sem.{prefix}_semaphore"):
            if os.path.exists(path):
                os.unlink(path)

    def start(self, args, extra_env=None):
        env = {k: v for k, v in os.environ.items()
               if k not in ("PROMETHEUS_MULTIPROC_DIR", "VLLM_DP_RANK", "NPUPROBE_DISABLE")}
        env.update({"LD_PRELOAD": PRELOAD, "NPUPROBE_FLUSH_MS": "100",
                    "LD_LIBRARY_PATH": os.path.join(BUILD, "mock", "lib"),
                    "NPUPROBE_REGISTRY_DIR": os.path.join(self.dir, "registry"),
                    "MS_SERVICE_METRIC_SHM_PREFIX": f"/npuprobe_setups_{os.getpid()}",
                    "NPUPROBE_LISTEN": "off", "PYTHONUNBUFFERED": "1"})
        env.update(extra_env or {})
        port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "service.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["/usr/bin/python3", os.path.join(HERE, "api_server.py"), "--model", "m",
                 "--port", "0", "--port-file", port_file] + args, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while not os.path.exists(port_file):
            self.assertIsNone(self.process.poll(), self.read_log())
            self.assertLess(time.monotonic(), deadline, self.read_log())
            time.sleep(0.1)
        with open(port_file) as f:
            return f"http://127.0.0.1:{int(f.read())}"

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def poll(self, read, check, timeout=15):
        """read() until check(text) or the timeout; a refused connection (a server not up yet)
        is "not yet"."""
        deadline = time.monotonic() + timeout
        text = ""
        while True:
            try:
                text = read()
            except OSError:
                pass
            if (text and check(text)) or time.monotonic() > deadline:
                return text
            time.sleep(0.1)

    def test_one_api_server_shows_its_own_registry_and_npuprobe_serves_its_series(self):
        with socket.socket() as probe:  # a free port for the exposer (closed just before)
            probe.bind(("127.0.0.1", 0))
            exposer_port = probe.getsockname()[1]
        url = self.start([], {"NPUPROBE_LISTEN": f"127.0.0.1:{exposer_port}"})
        for _ in range(2):
            self.assertEqual(complete(url, 3)["npu"]["steps"], 4)
        exposer = self.poll(lambda: get(f"http://127.0.0.1:{exposer_port}/metrics"),
                            lambda t: total(t, STEPS) == 8)
        self.assertEqual(total(exposer, STEPS), 8)
        vllm = get(url + "/metrics")
        self.assertEqual(total(vllm, "vllm:request_success_total"), 2)
        self.assertFalse([n for n, _, _ in samples(vllm) if n.startswith("vllm_profiling_")])
        log = self.read_log()
        self.assertNotIn("created PROMETHEUS_MULTIPROC_DIR", log)  # one API server: no folder
        self.assertIn(f"127.0.0.1:{exposer_port}/metrics", log)  # npuprobe says where instead

    def test_several_api_servers_make_export_and_remove_a_temporary_folder(self):
        url = self.start(["--data-parallel-size", "2"])
        made = re.search(r"created PROMETHEUS_MULTIPROC_DIR at (\S+)", self.read_log())
        self.assertIsNotNone(made, self.read_log())
        folder = made.group(1)
        for _ in range(4):
            self.assertEqual(complete(url, 3)["npu"]["steps"], 4)
        text = self.poll(lambda: get(url + "/metrics"), lambda t: total(t, STEPS) == 16)
        self.assertEqual(total(text, STEPS), 16)
        dps = sorted({l["dp"] for n, l, v in samples(text) if n == STEPS and v > 0})
        self.assertEqual(dps, ["0", "1"])
        self.assertEqual(total(text, "vllm:request_success_total"), 4)
        self.assertTrue(os.path.isdir(folder))
        self.stop()
        self.assertEqual(self.process.returncode, 0, self.read_log())
        self.assertFalse(os.path.exists(folder), "vLLM removes its TemporaryDirectory at exit")


if __name__ == "__main__":
    unittest.main()
