"""Shared helpers of the end-to-end tests: run a process under LD_PRELOAD of libnpuprobe.so
with its own store folder, then read the folder back with `npuprobe dump` (the text exposition,
parsed by Debian's prometheus_client) as vLLM's /metrics would show it."""
import atexit
import json
import os
import shutil
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
SANITIZED = os.environ.get("NPUPROBE_SANITIZER", "none") not in ("", "none")
# Emulated runs (scripts/aarch64.sh: aarch64 binaries under qemu user-mode emulation) are several
# times slower: NPUPROBE_SLOWDOWN (default 1) multiplies every time limit, as a sanitizer build's 3.
SLOWDOWN = float(os.environ.get("NPUPROBE_SLOWDOWN", "1"))
TIME_SCALE = (3 if SANITIZED else 1) * SLOWDOWN


def _elf_machine(path):
    """e_machine of an ELF file (None when unreadable)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
        return int.from_bytes(header[18:20], "little") if header[:4] == b"\x7fELF" else None
    except OSError:
        return None


# A preload built for another architecture (scripts/aarch64.sh) cannot go into this machine's
# python3: tests that preload into python3 skip there.
FOREIGN_PRELOAD = _elf_machine(PRELOAD) not in (None, _elf_machine("/usr/bin/python3"))
FOREIGN_REASON = "an aarch64 preload cannot go into this machine's python3 (scripts/aarch64.sh)"


class Samples:
    """Samples of one exposition. value(name, **labels) sums every matching sample and fails
    (AssertionError naming the series) when none matches: a series npuprobe did not publish is
    never read as 0. Where a test expects a series to be absent it says so with absent()/has()."""

    def __init__(self, text):
        self.text = text
        self.samples = []
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                self.samples.append((s.name, s.labels, s.value))

    def _matching(self, name, labels):
        return [v for sample_name, sample_labels, v in self.samples
                if sample_name == PREFIX + name
                and all(sample_labels.get(k) == str(val) for k, val in labels.items())]

    def has(self, name, **labels):
        """Whether at least one sample of `name` matches `labels`."""
        return bool(self._matching(name, labels))

    def absent(self, name, **labels):
        """True when no sample of `name` matches `labels` (the series was not published)."""
        return not self.has(name, **labels)

    def value(self, name, **labels):
        found = self._matching(name, labels)
        if not found:
            where = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            raise AssertionError(f"no series {PREFIX}{name}{{{where}}} in the exposition "
                                 f"(a missing series is not 0):\n{self.text[:3000]}")
        return sum(found)

    def value_or_absent(self, name, **labels):
        """The summed value, or None when the series is absent: for a test that accepts both
        "published as 0" and "never published" it must say which one it means."""
        return self.value(name, **labels) if self.has(name, **labels) else None

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
    the last Samples (the caller asserts on them). A predicate that reads a series not
    published yet (value() raises AssertionError) counts as "not yet"."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        samples = dump(folder)
        try:
            held = predicate(samples)
        except AssertionError:
            held = False
        if held or time.monotonic() > deadline:
            return samples
        time.sleep(0.1)


def wait_until(check, timeout=15, interval=0.05):
    """Calls check() until it returns a true value or `timeout` s pass (times TIME_SCALE);
    returns its last value. An AssertionError from check() (a series not there yet) is "not yet"."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        try:
            result = check()
        except AssertionError:
            result = None
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


# Every process this module starts gets this test process's own registry folder and control
# segment prefix (unless the caller names its own), so that tests run side by side by
# `ctest -j2` never see each other's processes nor each other's `npuprobe on|off`.
_OWN = tempfile.mkdtemp(prefix="npuprobe-e2e-")
OWN_REGISTRY = os.path.join(_OWN, "registry")
OWN_CONTROL_PREFIX = f"/npuprobe_e2e_{os.getpid()}"


def _remove_own():
    shutil.rmtree(_OWN, ignore_errors=True)
    name = OWN_CONTROL_PREFIX.lstrip("/")
    for path in (f"/dev/shm/{name}_control", f"/dev/shm/sem.{name}_semaphore"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


atexit.register(_remove_own)


def preload_env(folder, extra=None, preload=True):
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"NPUPROBE_LISTEN": "off", "NPUPROBE_FLUSH_MS": "100",
                "NPUPROBE_REGISTRY_DIR": OWN_REGISTRY,
                "MS_SERVICE_METRIC_SHM_PREFIX": OWN_CONTROL_PREFIX})
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
