"""A real Prometheus over the serving harness, shared by test_prometheus.py and test_dashboard.py.

`ServingStack` starts the vLLM-shaped harness under `npuprobe run` with two data-parallel engines
(smoke/harness.py does the process handling), Debian's /usr/bin/prometheus on a loopback
port scraping the harness's /metrics every second, and request threads that keep the workers
busy; leaving the `with` block stops all three and removes every file and shared-memory name the
run created.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "smoke"))

from harness import Harness, _terminate_with_parent  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
BUILD = os.path.abspath(os.environ.get("NPUPROBE_BUILD", os.path.join(HERE, "..", "..", "build")))
# An instrumented preload cannot go into the uninstrumented /usr/bin/python3 (as test_smoke.py).
SANITIZED = os.environ.get("NPUPROBE_SANITIZER", "none") not in ("", "none")
# Every panel of dashboards/npuprobe.json has data with this: kernel busy needs task-time mode 2
# (MSPTI), HBM used needs memory sampling.
FULL_CONFIG = "task_time:\n  mode: 2\n  prof_dir: {prof}\nmemory:\n  sample_hz: 10\n"

PROMETHEUS_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: npuprobe-serving-harness
    static_configs:
      - targets: ["{target}"]
"""


def listening_ports(pid):
    """The TCP ports process `pid` listens on: the inodes of its socket descriptors matched
    against the LISTEN (state 0A) rows of /proc/<pid>/net/tcp and tcp6."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    except OSError:
        return []
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


class PrometheusServer:
    def __init__(self, workdir, target, config=None):
        """config: the whole prometheus.yml text; by default one job scraping `target`."""
        self.workdir, self.target = workdir, target
        self.config = config if config is not None else PROMETHEUS_CONFIG.format(target=target)
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.process = None
        self.url = None

    def start(self, ready_timeout_s=60):
        """Prometheus listens on 127.0.0.1:0, so the kernel binds it a free port (no port is
        guessed, none can be taken by another process in between); the port is then read from
        the socket Prometheus holds (listening_ports). Ready means Prometheus's own answer on
        /-/ready, not any server's."""
        config = os.path.join(self.workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(self.config)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}",
                 f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
                 "--web.listen-address=127.0.0.1:0"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_terminate_with_parent)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with status {self.process.returncode}:\n"
                                   + tail(self.log_path))
            ports = listening_ports(self.process.pid)
            if len(ports) > 1:
                raise RuntimeError(f"prometheus listens on several ports {ports}")
            if ports:
                self.url = f"http://127.0.0.1:{ports[0]}"
                try:
                    with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                        if response.status == 200 and b"Prometheus" in response.read():
                            return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready after {ready_timeout_s} s:\n"
                           + tail(self.log_path))

    def query(self, expr):
        """GET /api/v1/query; returns the decoded JSON answer, errors (HTTP 400/422) included."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b'{"status": "error"}')

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class Load:
    """Threads sending completions back to back, so every worker steps during every scrape."""

    def __init__(self, harness, threads=2):
        self.harness, self.stopping = harness, threading.Event()
        self.ok = self.failed = 0
        self.lock = threading.Lock()  # += from two threads is not atomic
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(threads)]

    def _run(self, index):
        n = 0
        while not self.stopping.is_set():
            n += 1
            prompt = " ".join(f"w{index}_{j}" for j in range(20 + n % 40))
            try:
                status, _ = self.harness.complete(prompt, max_tokens=8, timeout_s=30)
            except OSError:
                status = None
            with self.lock:
                if status == 200:
                    self.ok += 1
                else:
                    self.failed += 1
            if status != 200:
                time.sleep(0.2)  # a broken harness should not be hammered

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(40)


# The dashboard's communication panels need collectives: the engines as one expert-parallel
# group, rebalancing every 3 steps (expert_parallel.py).
EXPERT_PARALLEL = ["--enable-expert-parallel", "--enable-eplb", "--eplb-step-interval", "3"]


class ServingStack:
    """with ServingStack(full_config=...) as stack: stack.query(expr) ..."""

    def __init__(self, full_config=False):
        self.full_config = full_config
        self.harness = self.prometheus = self.load = None

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="npuprobe-prometheus-test-")
        self.control_prefix = f"/npuprobe_prom_{os.path.basename(self.dir)[-8:]}"
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        env = self._env()
        config = None
        if self.full_config:
            config = os.path.join(self.dir, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write(FULL_CONFIG.format(prof=os.path.join(self.dir, "prof")))
        self.harness = Harness(os.path.join(BUILD, "bin", "npuprobe"),
                               os.path.join(self.dir, "store"),
                               ["--model", "npuprobe-mock-llm", "--data-parallel-size", "2"] +
                               (EXPERT_PARALLEL if self.full_config else []), env,
                               self.file("service.log"), self.file("port"), config)
        self.harness.start()
        self.prometheus = PrometheusServer(self.dir, self.harness.url.split("//", 1)[1])
        self.prometheus.start()
        self.load = Load(self.harness)
        self.load.start()

    def _env(self):
        """The caller's environment, isolated like the smoke runner's (runner.py service_env)."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PROMETHEUS_MULTIPROC_DIR", "NPUPROBE_DISABLE")}
        mock_lib = os.path.join(BUILD, "mock", "lib")
        env["LD_LIBRARY_PATH"] = ":".join(p for p in (mock_lib, env.get("LD_LIBRARY_PATH")) if p)
        env["NPUPROBE_REGISTRY_DIR"] = self.file("registry")
        env["MS_SERVICE_METRIC_SHM_PREFIX"] = self.control_prefix
        env.setdefault("NPUPROBE_FLUSH_MS", "200")
        env["PYTHONUNBUFFERED"] = "1"
        if self.full_config:
            # MSPTI must sit after npuprobe in LD_PRELOAD; `npuprobe run` puts itself first.
            mspti = os.path.join(mock_lib, "libmspti.so")
            env["LD_PRELOAD"] = " ".join(p for p in (mspti, env.get("LD_PRELOAD")) if p)
        return env

    def file(self, name):
        return os.path.join(self.dir, name)

    def query(self, expr):
        return self.prometheus.query(expr)

    def diagnostics(self):
        """What a failure message should carry: the request counts and both logs' tails."""
        load = f"requests ok={self.load.ok} failed={self.load.failed}\n" if self.load else ""
        return (f"\n{load}--- service.log ---\n{tail(self.file('service.log'))}"
                f"--- prometheus.log ---\n{tail(self.file('prometheus.log'))}")

    def __exit__(self, *exc):
        # Load first (it talks to the harness), then the scraper, then the harness itself.
        if self.load:
            self.load.stop()
        if self.prometheus:
            self.prometheus.stop()
        if self.harness:
            self.stop_result = self.harness.stop()
        name = self.control_prefix.lstrip("/")
        for path in (f"/dev/shm/{name}_control", f"/dev/shm/sem.{name}_semaphore"):
            if os.path.exists(path):
                os.unlink(path)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(none)\n"


def wait_until(check, timeout_s=60, interval_s=1.0):
    """Calls check() until it returns a true value or the timeout; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval_s)
