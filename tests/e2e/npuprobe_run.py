"""Shared helpers of the end-to-end tests: run a process under LD_PRELOAD of libnpuprobe.so
with its own store folder, then read the folder back with `npuprobe dump` (the text exposition,
parsed by Debian's prometheus_client) as vLLM's /metrics would show it."""
import json
import os
import subprocess
import tempfile
import time

from prometheus_client.parser import text_string_to_metric_families

BUILD = os.path.abspath(os.environ.get("NPUPROBE_BUILD", "build"))
PRELOAD = os.path.join(BUILD, "lib", "libnpuprobe.so")
CLI = os.path.join(BUILD, "bin", "npuprobe")
NPU_SIM = os.path.join(BUILD, "mock", "bin", "npu-sim")
MOCK_LIB = os.path.join(BUILD, "mock", "lib")
PREFIX = "vllm_profiling_"
# Sanitizer builds: the instrumented preload can only go into instrumented executables.
SANITIZED = os.environ.get("NPUPROBE_SANITIZER", "none") != "none"


class Samples:
    """Samples of one exposition: value(name, **labels) sums every matching sample."""

    def __init__(self, text):
        self.text = text
        self.samples = []
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                self.samples.append((s.name, s.labels, s.value))

    def value(self, name, **labels):
        total = 0.0
        for sample_name, sample_labels, v in self.samples:
            if sample_name != PREFIX + name:
                continue
            if all(sample_labels.get(k) == str(val) for k, val in labels.items()):
                total += v
        return total

    def label_values(self, name, label):
        return sorted({l[label] for n, l, _ in self.samples if n == PREFIX + name and label in l})


def dump(folder):
    out = subprocess.run([CLI, "dump", "--dir", folder], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"npuprobe dump failed: {out.stderr}")
    return Samples(out.stdout)


def wait_for(folder, predicate, timeout=15):
    """Dumps `folder` every 0.1 s until predicate(samples) holds or `timeout` s pass; returns
    the last Samples (the caller asserts on them)."""
    deadline = time.time() + timeout
    while True:
        samples = dump(folder)
        if predicate(samples) or time.time() > deadline:
            return samples
        time.sleep(0.1)


def preload_env(folder, extra=None, preload=True):
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"NPUPROBE_LISTEN": "off", "NPUPROBE_FLUSH_MS": "100"})
    if folder is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = folder
    if preload:
        env["LD_PRELOAD"] = PRELOAD + (" " + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    env.update(extra or {})
    return env


def start_sim(args, folder, extra_env=None):
    """Starts npu-sim in the background under npuprobe, publishing into `folder` (stdout dropped,
    stderr piped as text). The caller stops it (kill + communicate)."""
    return subprocess.Popen([NPU_SIM] + args, env=preload_env(folder, extra_env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_sim(args, extra_env=None, preload=True):
    """Runs npu-sim; returns (completed process, report dict, Samples or None)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "store")
        os.mkdir(folder)
        report_path = os.path.join(tmp, "report.json")
        proc = subprocess.run([NPU_SIM, "--report", report_path] + args,
                              env=preload_env(folder, extra_env, preload), capture_output=True,
                              text=True, timeout=300)
        report = None
        if os.path.exists(report_path):
            with open(report_path) as f:
                report = json.load(f)
        samples = dump(folder) if preload else None
        leftovers = sorted(os.listdir(folder))
    return proc, report, samples, leftovers
