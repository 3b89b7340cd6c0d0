#!/usr/bin/python3
"""What a running process does on the runtime switch (docs/config.md, "What `npuprobe restart`
changes" and "Task time"): a reload applies a changed `phases.min_launches_per_step`; pointers
dlsym handed out before a hooks reload stay valid and keep measuring; a malformed YAML on a
reload keeps the process running on its last good configuration and says so; task time starts
again on ON; memory sampling makes no ACL call while OFF.

Every wait is for an observable state (a log line, a status row, a dump) with a deadline.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_live_reload
"""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from npuprobe_run import CLI, MOCK_LIB, NPU_SIM, PRELOAD, SLOWDOWN, dump, preload_env
from test_lifecycle import absent, exact
from test_runtime_switch import remove_segment, write_segment

# s: any observable state the tests wait for (loaded sanitizer builds included; longer under
# emulation, NPUPROBE_SLOWDOWN)
DEADLINE = 30 * SLOWDOWN


class LiveCase(unittest.TestCase):
    """A test with its own folder, store, YAML, log file, registry and control segment. The
    segment exists (ON) before the process starts, so the first restart is a change."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "store")
        os.mkdir(self.folder)
        self.yaml = os.path.join(self.tmp.name, "npuprobe.yaml")
        self.log = os.path.join(self.tmp.name, "npuprobe.log")
        self.report = os.path.join(self.tmp.name, "report.json")
        self.prefix = f"/npuprobe_lr_{os.getpid()}_{self.id().split('.')[-1][:20]}"
        self.extra = {"NPUPROBE_CONFIG": self.yaml, "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix,
                      "NPUPROBE_REGISTRY_DIR": os.path.join(self.tmp.name, "registry"),
                      "SERVICE_PROF_CONFIG_PATH": "", "NPUPROBE_LOG_LEVEL": ""}
        write_segment(self.prefix, on=True, timestamp=1000)
        self.sim = None

    def tearDown(self):
        if self.sim is not None and self.sim.poll() is None:
            self.sim.kill()
        if self.sim is not None:
            self.sim.communicate(timeout=30)
        remove_segment(self.prefix)
        self.tmp.cleanup()

    def write_yaml(self, text):
        with open(self.yaml, "w") as f:
            f.write(f"logging:\n  file: {self.log}\n  level: info\n" + text)

    def start(self, args, **env):
        self.sim = subprocess.Popen([NPU_SIM, "--report", self.report] + args,
                                    env=preload_env(self.folder, dict(self.extra, **env)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.started = time.monotonic()
        return self.sim

    def finish(self):
        """Waits for npu-sim's own end; returns its device-0 ground truth."""
        _, stderr = self.sim.communicate(timeout=300)
        self.assertEqual(self.sim.returncode, 0, stderr)
        with open(self.report) as f:
            return json.load(f)["devices"]["0"]

    def cli(self, *args):
        out = subprocess.run([CLI, *args], env=dict(os.environ, **self.extra),
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_until(self, what, predicate, running=True):
        """Polls predicate() until it returns a true value (returned) or DEADLINE passes; with
        `running`, npu-sim must still run while it is waited for."""
        deadline = time.monotonic() + DEADLINE
        while True:
            value = predicate()
            if value:
                return value
            if running and self.sim.poll() is not None:
                self.fail(f"npu-sim ended while waiting for {what}; log:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.fail(f"not within {DEADLINE} s: {what}; log:\n{self.log_text()}")
            time.sleep(0.05)

    def wait_log(self, text, count=1):
        return self.wait_until(f"{count} x {text!r} in the log",
                               lambda: self.log_text().count(text) >= count)

    def status_row(self):
        """This process's `npuprobe status` row as (on|off, configuration generation), or None
        before its first flush."""
        for line in self.cli("status").splitlines():
            fields = line.split()
            if fields[:1] == [str(self.sim.pid)]:
                return fields[1], int(fields[4])
        return None

    def wait_flushed(self, state, generation):
        """Until a flush has published with the switch in `state` and that configuration
        generation: everything recorded before the change is in the store files."""
        self.wait_until(f"status {state}, generation {generation}",
                        lambda: self.status_row() == (state, generation))

    def wait_dump(self, what, predicate):
        return self.wait_until(what, lambda: (lambda m: m if predicate(m) else None)(
            dump(self.folder)))


def value_or_none(m, name, **labels):
    return None if absent(m, name, **labels) else m.value(name, **labels)


class PhasesReloadTest(LiveCase):
    def test_min_launches_per_step_applies_on_restart(self):
        self.write_yaml("phases:\n  min_launches_per_step: 1\n")
        self.start(["--steps", "200000", "--launches", "2", "--host-gap-us", "1000"])
        self.wait_dump("steps counted", lambda m: (value_or_none(m, "npu:steps_total") or 0) > 0)
        self.write_yaml("phases:\n  min_launches_per_step: 3\n")  # > 2 launches: no step
        self.cli("restart")
        self.wait_flushed("on", 2)
        frozen = dump(self.folder)
        steps = exact(self, frozen, "npu:steps_total")
        launches = exact(self, frozen, "npu:launches_total")
        later = self.wait_dump("40 more launches",
                               lambda m: exact(self, m, "npu:launches_total") >= launches + 40)
        self.assertEqual(exact(self, later, "npu:steps_total"), steps,
                         "no 2-launch span is a step at min_launches_per_step 3")
        self.write_yaml("phases:\n  min_launches_per_step: 2\n")
        self.cli("restart")
        self.wait_flushed("on", 3)
        self.wait_dump("steps counted again",
                       lambda m: exact(self, m, "npu:steps_total") > steps)
        self.assertIn("configuration generation 3 applied", self.log_text())


class MalformedReloadTest(LiveCase):
    def test_a_malformed_yaml_keeps_the_last_good_configuration(self):
        # Last good: no 2-launch span is a step.
        self.write_yaml("phases:\n  min_launches_per_step: 3\n")
        sim = self.start(["--steps", "3000", "--launches", "2", "--host-gap-us", "1000"])
        self.wait_flushed("on", 1)
        with open(self.yaml, "w") as f:
            f.write("phases: [unclosed\n")
        self.cli("restart")
        self.wait_log("configuration generation 1 applied (a file was unusable: the last good "
                      "one is kept)")
        self.assertIsNone(sim.poll(), "the process runs on")
        log = self.log_text()
        self.assertRegex(log, r"\[npuprobe\] \[pid %d\] \[warning\] %s:\d+: .*malformed YAML, file "
                         r"ignored" % (sim.pid, re.escape(self.yaml)))
        self.wait_flushed("on", 1)  # still generation 1 after a flush that followed the reload
        truth = self.finish()
        m = dump(self.folder)
        self.assertEqual(exact(self, m, "npu:launches_total"), truth["launches"]["aclnn"])
        self.assertEqual(exact(self, m, "npu:syncs_total"), truth["syncs"]["stream"])
        self.assertGreater(truth["steps"], 0)
        self.assertEqual(exact(self, m, "npu:steps_total"), 0,
                         "min_launches_per_step 3 of the last good file still applies")


class HandedOutPointersTest(LiveCase):
    def test_pointers_handed_out_before_a_hooks_reload_keep_measuring(self):
        # --binding opapi: npu-sim looks each aclnn op up once, at start, in libopapi's handle,
        # and calls those pointers (npuprobe's thunks) for the whole run.
        self.write_yaml("op_label: true\n")
        self.start(["--steps", "3000", "--launches", "3", "--host-gap-us", "1000",
                    "--binding", "opapi"])
        before = self.wait_dump("ops measured",
                                lambda m: (value_or_none(m, "npu:op_launches_total",
                                                         op="aclnnAdd") or 0) > 0)
        # A new lookup now would get aclnnAdd unwrapped, and no lookup a wrapper (dlsym off):
        # what was handed out stays as it was.
        self.write_yaml("op_label: true\nhooks:\n  skip: [aclnnAdd]\n  dlsym: false\n"
                        "  memory: false\n")
        self.cli("restart")
        self.wait_flushed("on", 2)
        at_reload = exact(self, dump(self.folder), "npu:op_launches_total", op="aclnnAdd")
        truth = self.finish()
        m = dump(self.folder)
        aclnn = truth["launches"]["aclnn"]
        self.assertEqual(exact(self, m, "npu:launches_total", api="aclnn"), aclnn)
        self.assertEqual(exact(self, m, "npu:op_launches_total"), aclnn,
                         "every launch through a handed-out thunk kept its op")
        self.assertGreater(exact(self, m, "npu:op_launches_total", op="aclnnAdd"), at_reload)
        self.assertGreaterEqual(at_reload,
                                exact(self, before, "npu:op_launches_total", op="aclnnAdd"))


class TaskTimeOnOffTest(LiveCase):
    def active(self, mode, value):
        return lambda m: value_or_none(m, "npuprobe:task_time_active", mode=mode) == value

    def aclprof_calls(self):
        try:
            with open(os.path.join(self.prof, f"npumock_aclprof_{self.sim.pid}.log")) as f:
                return [line.split()[0] for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def test_aclprof_stops_on_off_and_starts_again_on_on(self):
        self.prof = os.path.join(self.tmp.name, "prof")
        self.write_yaml(f"task_time:\n  mode: 1\n  prof_dir: {self.prof}\n")
        self.start(["--steps", "200000", "--launches", "2", "--host-gap-us", "1000"])
        started = ["aclprofInit", "aclprofCreateConfig", "aclprofStart"]
        stopped = ["aclprofStop", "aclprofDestroyConfig", "aclprofFinalize"]
        self.wait_until("aclprof started", lambda: self.aclprof_calls() == started)
        self.wait_dump("task time active",
                       self.active("aclprof", 1))
        self.cli("off")
        self.wait_until("aclprof stopped", lambda: self.aclprof_calls() == started + stopped)
        self.wait_dump("task time inactive",
                       self.active("aclprof", 0))
        self.cli("on")
        self.wait_until("aclprof started again",
                        lambda: self.aclprof_calls() == started + stopped + started)
        self.wait_dump("task time active again",
                       self.active("aclprof", 1))

    def test_mspti_stops_on_off_and_starts_again_on_on(self):
        mspti = os.path.join(MOCK_LIB, "libmspti.so")
        self.write_yaml(f"task_time:\n  mode: 2\n  prof_dir: {self.tmp.name}/prof\n")
        self.start(["--steps", "200000", "--launches", "2", "--host-gap-us", "1000"],
                   LD_PRELOAD=PRELOAD + " " + mspti)  # libmspti after libnpuprobe.so
        kernels = lambda m: value_or_none(m, "npu:kernels_total")
        self.wait_dump("kernels counted", lambda m: (kernels(m) or 0) > 0)
        self.cli("off")
        self.wait_dump("task time inactive",
                       self.active("mspti", 0))
        self.wait_flushed("off", 1)
        paused = kernels(dump(self.folder))
        self.cli("on")
        self.wait_dump("task time active again",
                       self.active("mspti", 1))
        self.wait_dump("kernels counted again", lambda m: kernels(m) > paused)


class MemorySamplingWhileOffTest(LiveCase):
    GIB = 1 << 30

    def stats(self, path):
        with open(path) as f:
            return json.load(f)["calls"]

    def test_no_sampler_starts_while_off_from_the_start(self):
        write_segment(self.prefix, on=False, timestamp=1000)
        self.write_yaml("memory:\n  sample_hz: 50\n")
        args = [NPU_SIM, "--steps", "300", "--launches", "2", "--host-gap-us", "2000"]
        calls = {}
        for name, preload in (("bare", False), ("probed", True)):
            path = os.path.join(self.tmp.name, f"{name}.json")
            env = preload_env(self.folder, dict(self.extra, NPU_MOCK_STATS_FILE=path), preload)
            proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            calls[name] = self.stats(path)
        self.assertIn("runtime switch: OFF", self.log_text())
        self.assertEqual(calls["probed"].get("aclrtGetMemInfo", 0), 0, calls["probed"])
        self.assertEqual(calls["probed"]["aclrtSetDevice"], calls["bare"]["aclrtSetDevice"],
                         "no sampler thread bound a device")
        self.assertTrue(absent(dump(self.folder), "npu:memory:hbm_used_bytes"))

    def test_sampling_pauses_while_off(self):
        stats = os.path.join(self.tmp.name, "stats.json")
        self.write_yaml("memory:\n  sample_hz: 50\n")  # one aclrtGetMemInfo per 20 ms at most
        self.start(["--steps", "4000", "--launches", "2", "--host-gap-us", "1000"],
                   NPU_MOCK_STATS_FILE=stats, NPU_MOCK_HBM_BYTES=str(self.GIB))
        self.wait_dump("a memory sample",
                       lambda m: value_or_none(m, "npu:memory:hbm_total_bytes") == self.GIB)
        self.cli("off")
        self.wait_log("runtime switch: OFF")  # logged after the wrappers and the sampler see it
        on_for = time.monotonic() - self.started
        truth = self.finish()
        off_for = time.monotonic() - self.started - on_for
        self.assertGreater(truth["steps"], 0)
        self.assertGreater(off_for, 1.0, "OFF lasted long enough to show sampling")
        samples = self.stats(stats).get("aclrtGetMemInfo", 0)
        self.assertGreaterEqual(samples, 1)
        # At most one sample per period while ON (plus the first); none while OFF, where
        # sampling on would have added about off_for / 0.02.
        self.assertLessEqual(samples, on_for / 0.02 + 2,
                             f"ON {on_for:.2f} s, OFF {off_for:.2f} s: sampled while OFF")


if __name__ == "__main__":
    unittest.main()
