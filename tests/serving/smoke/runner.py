"""scripts/run-smoke: one isolated smoke run of a scenario against the serving harness.

preflight (`npuprobe check`) -> harness under `npuprobe run` (fresh store folder, own registry
and control segment, free loopback port) -> /health -> /metrics before -> requests -> poll
/metrics until the scenario's contract passes or the poll timeout -> stop the harness (whole
process group) -> scan its log -> reports. Exit 0 = passed, 1 = failed.
"""
import argparse
import os
import platform
import signal
import subprocess
import sys
import time

import prometheus_client

from artifacts import RunFolder
from contract import PREFIX, evaluate
from harness import Harness, HarnessError
from log_health import scan as scan_log
from metric_snapshot import EMPTY, MetricSnapshot
from scenarios import SCENARIOS, STEPS_PER_REQUEST

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
MAX_TOKENS = 8
# The exact step contract (scenarios.py) counts one prefill and MAX_TOKENS decode steps.
assert STEPS_PER_REQUEST == 1 + MAX_TOKENS, "scenarios.STEPS_PER_REQUEST is out of step"
FLUSH_MS = "200"  # npuprobe's publish interval for the run (default 500): faster polls


def parse_args(argv):
    p = argparse.ArgumentParser(prog="run-smoke", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="basic")
    p.add_argument("--metric-request-count", type=int, help="requests to send "
                   "(default: the scenario's, 4; dplb, dptp and eplb 8)")
    p.add_argument("--metric-poll-timeout", type=float, help="seconds to wait for the "
                   "contract to pass after the requests (default 30)")
    p.add_argument("--metric-poll-interval", type=float, default=0.5)
    p.add_argument("--workspace", default=os.environ.get("TMPDIR", "/tmp"),
                   help="artifacts go to WORKSPACE/npuprobe-smoke/ (default $TMPDIR or /tmp)")
    p.add_argument("--debug-mode", action="store_true", help="keep all artifacts on success too")
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="npuprobe build folder (default: the repo's build/)")
    p.add_argument("--start-method", choices=("spawn", "fork"), default="spawn",
                   help="how the harness starts its workers")
    args = p.parse_args(argv)
    scenario = SCENARIOS[args.scenario]
    if args.metric_request_count is None:
        args.metric_request_count = scenario.requests
    if args.metric_poll_timeout is None:
        args.metric_poll_timeout = scenario.poll_timeout_s
    if args.metric_request_count < 1:
        p.error("--metric-request-count must be >= 1")
    args.build = os.path.abspath(args.build)
    return args


class SmokeRun:
    def __init__(self, args):
        self.args = args
        self.scenario = SCENARIOS[args.scenario]
        self.folder = RunFolder(args.workspace, args.scenario)
        self.cli = os.path.join(args.build, "bin", "npuprobe")
        self.store = self.folder.file("store")
        self.config = None
        self.report = {"scenario": self.scenario.name, "description": self.scenario.description,
                       "run_id": self.folder.run_id, "failures": []}
        self.started = time.monotonic()

    # -- environment -----------------------------------------------------------------------
    def service_env(self):
        """The caller's environment, isolated: the mock CANN, own registry and control segment.
        NPUPROBE_DISABLE and other NPUPROBE_* settings of the caller pass through."""
        env = dict(os.environ)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # `npuprobe run --dir` sets the fresh one
        mock_lib = os.path.join(self.args.build, "mock", "lib")
        env["LD_LIBRARY_PATH"] = ":".join(p for p in (mock_lib, env.get("LD_LIBRARY_PATH")) if p)
        env["NPUPROBE_REGISTRY_DIR"] = self.folder.file("registry")
        env["MS_SERVICE_METRIC_SHM_PREFIX"] = self.control_prefix()
        env.setdefault("NPUPROBE_FLUSH_MS", FLUSH_MS)
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("VLLM_DP_RANK", None)  # vllm serve never sets it: dp comes from the titles
        env.update(self.scenario.env)
        if self.scenario.task_time_mode is not None:
            # MSPTI must sit after npuprobe in LD_PRELOAD; `npuprobe run` puts itself first.
            mspti = os.path.join(mock_lib, "libmspti.so")
            env["LD_PRELOAD"] = " ".join(p for p in (mspti, env.get("LD_PRELOAD")) if p)
        return env

    def control_prefix(self):
        return f"/npuprobe_smoke_{self.folder.run_id[:12]}"

    def write_config(self):
        if self.scenario.task_time_mode is None:
            return
        self.config = self.folder.file("npuprobe.yaml")
        self.folder.write_text("npuprobe.yaml", (
            "task_time:\n"
            f"  mode: {self.scenario.task_time_mode}\n"
            f"  prof_dir: {self.folder.file('prof')}\n"))

    # -- steps -----------------------------------------------------------------------------
    def preflight(self, env):
        """`npuprobe check` with the environment handed to `npuprobe run` (which then puts
        npuprobe first in LD_PRELOAD). Not with libnpuprobe.so preloaded into the check itself:
        its symbol lookups would start npuprobe inside the check process."""
        check_env = dict(env)
        command = [self.cli, "check", "--dir", self.store] + (
            ["--config", self.config] if self.config else [])
        try:
            out = subprocess.run(command, env=check_env, capture_output=True, text=True,
                                 timeout=60)
            text, status = out.stdout + out.stderr, out.returncode
        except (OSError, subprocess.TimeoutExpired) as error:
            text, status = f"{error}\n", -1
        self.folder.write_text("preflight.log", "$ " + " ".join(command) + "\n" + text)
        last = text.strip().splitlines()[-1] if text.strip() else "(no output)"
        self.report["preflight"] = {"exit_status": status, "result": last}
        if status != 0:
            self.report["failures"].append(f"preflight failed: {last}")
        return status == 0

    def send_requests(self, harness):
        ok = 0
        for i in range(self.args.metric_request_count):
            # Growing prompts: new activation sizes, so the caching allocator allocates.
            prompt = " ".join(f"word{j}" for j in range(40 * (i + 1)))
            start = time.monotonic()
            try:
                status, body = harness.complete(prompt, MAX_TOKENS)
            except OSError as error:
                status, body = None, str(error)
            line = (f"request {i}: prompt_words={40 * (i + 1)} max_tokens={MAX_TOKENS} "
                    f"status={status} {time.monotonic() - start:.3f}s "
                    f"{body.get('npu') if isinstance(body, dict) else body}\n")
            self.folder.append_text("request.log", line)
            ok += status == 200
        self.report["requests"] = {"sent": self.args.metric_request_count, "ok": ok}
        if ok != self.args.metric_request_count:
            self.report["failures"].append(
                f"{self.args.metric_request_count - ok} of {self.args.metric_request_count} "
                "requests failed (see request.log)")

    def poll_contract(self, harness, before):
        """Scrapes until the contract passes or the poll timeout; returns the last results."""
        deadline = time.monotonic() + self.args.metric_poll_timeout
        polls, after, results = 0, EMPTY, []
        while True:
            polls += 1
            try:
                after = MetricSnapshot(harness.metrics())
            except OSError as error:
                self.report["failures"].append(f"/metrics scrape failed: {error}")
                break
            passed, results = evaluate(self.scenario.contract, before, after)
            if passed or time.monotonic() >= deadline:
                break
            time.sleep(self.args.metric_poll_interval)
        self.folder.write_text("metrics.raw", after.text)
        self.report["polls"] = polls
        self.report["checks"] = results
        self.report["npuprobe_info"] = [labels for name, labels, _ in after.samples
                                        if name == PREFIX + "npuprobe:info"]
        for result in results:
            if not result["ok"]:
                self.report["failures"].append(result["detail"])

    def run(self):
        env = self.service_env()
        self.write_config()
        if not self.preflight(env):
            return self.finish(None)
        harness = Harness(self.cli, self.store, self.harness_args(), env,
                          self.folder.file("service.log"), self.folder.file("port"), self.config)
        self.report["harness_command"] = harness.command
        try:
            harness.start()
            self.report["healthy_after_s"] = round(time.monotonic() - self.started, 3)
            # One publish interval and a bit: what the workers did while starting is in.
            time.sleep(3 * _flush_seconds(env))
            before = MetricSnapshot(harness.metrics())
            self.folder.write_text("metrics.before.raw", before.text)
            self.send_requests(harness)
            self.poll_contract(harness, before)
        except (HarnessError, OSError) as error:
            self.report["failures"].append(f"harness: {error}")
        finally:
            stop = harness.stop()
            self.report["harness_stop"] = stop
            if stop.get("leftover_processes"):
                self.report["failures"].append("harness processes left after SIGKILL")
            self.remove_control_segment()
        return self.finish(harness)

    def harness_args(self):
        return self.scenario.harness_args + ["--start-method", self.args.start_method]

    def remove_control_segment(self):
        name = self.control_prefix().lstrip("/")
        for path in (f"/dev/shm/{name}_control", f"/dev/shm/sem.{name}_semaphore"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    # -- reports ---------------------------------------------------------------------------
    def finish(self, harness):
        health = scan_log(self.folder.file("service.log"))
        self.folder.write_json("log_health_report.json", health)
        for entry in health["fatal"]:
            self.report["failures"].append(
                f"npuprobe {entry['level']} in service.log line {entry['line']}: "
                f"{entry['message']}")
        passed = not self.report["failures"]
        self.report["passed"] = passed
        self.report["duration_s"] = round(time.monotonic() - self.started, 3)
        self.folder.write_json("assertion_report.json", self.report)
        kept = self.folder.finish(keep=not passed or self.args.debug_mode)
        summary_path = self.folder.write_summary(self.summary(health, kept))
        self.print_report(health, kept, summary_path)
        return 0 if passed else 1

    def summary(self, health, kept):
        checks = self.report.get("checks", [])
        return {
            "scenario": self.scenario.name, "run_id": self.folder.run_id,
            "passed": self.report["passed"], "duration_s": self.report["duration_s"],
            "harness_command": self.report.get("harness_command"),
            "checks_passed": sum(c["ok"] for c in checks),
            "checks_failed": sum(not c["ok"] for c in checks),
            "failures": self.report["failures"],
            "log_fatal": health["fatal_count"], "log_warnings": health["warning_count"],
            "npuprobe_info": self.report.get("npuprobe_info"),
            "versions": {"python": platform.python_version(),
                         "prometheus_client": _prometheus_client_version()},
            "npuprobe_env": {k: v for k, v in os.environ.items() if k.startswith("NPUPROBE_")},
            "artifacts": kept,
        }

    def print_report(self, health, kept, summary_path):
        r = self.report
        print(f"npuprobe smoke: scenario {self.scenario.name} ({self.scenario.description})")
        if "preflight" in r:
            print(f"  preflight: {r['preflight']['result']}")
        if "requests" in r:
            print(f"  requests: {r['requests']['ok']}/{r['requests']['sent']} ok")
        for check in r.get("checks", []):
            print(f"  [{'PASS' if check['ok'] else 'FAIL'}] {check['detail']}")
        print(f"  log health: {health['fatal_count']} error/critical, "
              f"{health['warning_count']} warning(s) from npuprobe")
        if "harness_stop" in r:
            s = r["harness_stop"]
            print(f"  harness stop: exit {s.get('exit_status')}, "
                  f"{'SIGKILL needed' if s.get('sigkill') else 'clean'}")
        verdict = "PASSED" if r["passed"] else "FAILED"
        print(f"npuprobe smoke: {verdict} {self.scenario.name} in {r['duration_s']:.1f} s")
        for failure in r["failures"]:
            print(f"  failure: {failure}")
        if kept:
            print(f"  artifacts: {kept}")
        print(f"  summary: {summary_path}")


def _flush_seconds(env):
    try:
        return int(env["NPUPROBE_FLUSH_MS"]) / 1000.0
    except ValueError:
        return 0.5  # npuprobe's default; it reports the bad value itself


def _prometheus_client_version():
    try:
        from importlib.metadata import version
        return version("prometheus_client")
    except Exception:
        return getattr(prometheus_client, "__version__", "unknown")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM (a CTest timeout, a CI cancel) unwinds like Ctrl-C: the harness is still stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return SmokeRun(args).run()
