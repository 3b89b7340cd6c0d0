#!/usr/bin/python3
"""The YAML keys a running process applies (docs/config.md): hook groups and the skip list (also
live on `npuprobe restart`), extra constant labels, bucket overrides, the log file; and
`npuprobe status`, the registry of instrumented processes.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_config_applied
"""
import os
import re
import signal
import subprocess
import time
import unittest

from npuprobe_run import CLI, NPU_SIM, dump, run_sim, start_sim, wait_for, wait_until
from test_runtime_switch import ConfigFileCase, wait_published_after


class ConfigTestCase(ConfigFileCase):
    def setUp(self):
        super().setUp()
        self.registry = os.path.join(self.tmp.name, "registry")
        self.extra = {"NPUPROBE_CONFIG": self.yaml, "NPUPROBE_REGISTRY_DIR": self.registry,
                      "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix}

    def sim(self, yaml, args):
        self.write_yaml(yaml)
        proc, report, samples, _ = run_sim(args, self.extra)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc, report["devices"]["0"], samples

    def cli(self, *args):
        env = dict(os.environ, **self.extra)
        out = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def status_row(self, out, pid):
        """The row of `pid` in `npuprobe status`'s output, or None."""
        for line in out.splitlines():
            if line.split()[:1] == [str(pid)]:
                return line
        return None

    def wait_row(self, pid, pattern, timeout=15):
        """Polls `npuprobe status` until the row of `pid` matches `pattern` (the state the
        process itself published in the registry); fails with the last output after `timeout` s."""
        last = []

        def matches():
            last[:] = [self.cli("status")]
            row = self.status_row(last[0], pid)
            return row is not None and re.search(pattern, row) is not None
        if not wait_until(matches, timeout=timeout):
            self.fail(f"row of pid {pid} never matched {pattern!r}:\n{last[0] if last else ''}")
        return self.status_row(last[0], pid)


class HooksTest(ConfigTestCase):
    ARGS = ["--steps", "6", "--launches", "4", "--alloc-bytes", "8192"]

    def test_every_group_on_by_default(self):
        _, truth, s = self.sim("hooks: {}\n", self.ARGS)
        self.assertEqual(s.value("npu:launches_total"), truth["launches"]["aclnn"])
        self.assertEqual(s.value("npu:syncs_total"), truth["syncs"]["stream"])
        self.assertEqual(s.value("npu:steps_total"), truth["steps"])
        self.assertEqual(s.value("npu:memory:allocs_total"), truth["allocs"])

    def test_sync_off_counts_no_wait_and_no_step(self):
        _, truth, s = self.sim("hooks:\n  sync: false\n", self.ARGS)
        self.assertEqual(s.value("npu:launches_total"), truth["launches"]["aclnn"])
        self.assertEqual(s.value("npu:syncs_total"), 0)
        self.assertEqual(s.value("npu:steps_total"), 0)
        self.assertEqual(s.value("npu:memory:allocs_total"), truth["allocs"])

    def test_launch_and_memory_off(self):
        _, truth, s = self.sim("hooks:\n  launch: false\n  memory: false\n",
                               self.ARGS + ["--binding", "opapi"])
        self.assertEqual(s.value("npu:launches_total"), 0)
        self.assertEqual(s.value("npu:memory:allocs_total"), 0)
        self.assertEqual(s.value("npu:syncs_total"), truth["syncs"]["stream"])

    def test_skip_names_functions_and_aclnn_ops(self):
        # npu-sim allocates like torch_npu's caching allocator: aclrtMallocAlign32.
        _, truth, s = self.sim("hooks:\n  skip: [aclrtMallocAlign32, aclrtFree, aclnnAdd]\n"
                               "op_label: true\n", self.ARGS + ["--binding", "opapi"])
        self.assertEqual(s.value("npu:memory:allocs_total"), 0)
        self.assertEqual(s.value("npu:memory:frees_total"), 0)
        self.assertEqual(s.value("npu:launches_total"), truth["launches"]["aclnn"])
        # npu-sim's 4 launches a step: aclnnMatmul twice, aclnnAdd, aclnnSilu. The skipped op
        # has no series; the others keep their thunks and count exactly.
        self.assertEqual(s.label_values("npu:op_launches_total", "op"),
                         ["aclnnMatmul", "aclnnSilu"])
        self.assertEqual(s.value("npu:op_launches_total", op="aclnnMatmul"), 2 * truth["steps"])
        self.assertEqual(s.value("npu:op_launches_total", op="aclnnSilu"), truth["steps"])
        self.assertEqual(s.value("npu:op_launches_total"),
                         truth["launches"]["aclnn"] - truth["steps"])

    def test_an_unknown_skip_name_is_said(self):
        proc, truth, s = self.sim("hooks:\n  skip: [aclrtNoSuchThing]\n", self.ARGS)
        self.assertIn("hooks.skip: aclrtNoSuchThing is neither", proc.stderr)
        self.assertEqual(s.value("npu:steps_total"), truth["steps"])

    def test_dlsym_off_hands_out_what_the_lookup_found(self):
        # npu-sim --binding dlsym looks the waits up in libascendcl's handle (torch_npu style):
        # unwrapped they bypass npuprobe; the linked launches are still seen.
        _, truth, s = self.sim("hooks:\n  dlsym: false\n", self.ARGS + ["--binding", "dlsym"])
        self.assertEqual(truth["syncs"]["stream"], 6)
        self.assertEqual(s.value("npu:syncs_total"), 0)
        self.assertEqual(s.value("npu:steps_total"), 0)
        self.assertEqual(s.value("npu:launches_total"), truth["launches"]["aclnn"])
        # Op functions from libopapi come unwrapped: their own kernel launches (libopapi calls
        # libascendcl through its PLT) are still aclnn launches, but no op names.
        args = self.ARGS + ["--binding", "opapi"]
        _, truth, s = self.sim("op_label: true\n", args)
        self.assertEqual(s.value("npu:op_launches_total"), truth["launches"]["aclnn"])
        _, truth, s = self.sim("op_label: true\nhooks:\n  dlsym: false\n", args)
        self.assertEqual(s.value("npu:launches_total", api="aclnn"), truth["launches"]["aclnn"])
        self.assertTrue(s.absent("npu:op_launches_total"), "no op names without dlsym hooks")

    def test_restart_applies_changed_hooks_to_a_running_process(self):
        self.write_yaml("hooks:\n  launch: true\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = start_sim(["--steps", "100000", "--launches", "2", "--host-gap-us", "1000"], folder,
                        self.extra)
        try:
            # The process must have seen the switch before the restart: a restart that is the
            # first state a process reads is its starting state, not a change to reload on.
            # So wait until it runs (it polls at start), switch ON, and give it a few polls.
            wait_for(folder, lambda m: m.value("npu:launches_total") > 0)
            since = time.time()
            self.cli("on")
            # It read ON (a flush polls the switch first): the restart below is a change.
            wait_published_after(self, dict(os.environ, **self.extra), sim.pid, since)
            before = dump(folder).value("npu:launches_total")
            self.assertGreater(before, 0)
            self.write_yaml("hooks:\n  launch: false\n")
            self.cli("restart")
            self.wait_row(sim.pid, r"^\d+\s+on\s+0\s+\S+\s+2\s")  # generation 2 applied
            # Published within a flush or two (100 ms each; longer on a loaded host): from then on
            # two dumps 0.5 s apart show the same launches while the waits still count.
            deadline = time.time() + 15
            while True:
                first = dump(folder)
                time.sleep(0.5)
                second = dump(folder)
                frozen = second.value("npu:launches_total")
                if first.value("npu:launches_total") == frozen or time.time() > deadline:
                    break
            self.assertEqual(first.value("npu:launches_total"), frozen)
            self.assertGreater(second.value("npu:syncs_total"), first.value("npu:syncs_total"))
            self.write_yaml("hooks:\n  launch: true\n")
            self.cli("restart")
            self.wait_row(sim.pid, r"^\d+\s+on\s+0\s+\S+\s+3\s")  # generation 3 applied
            resumed = wait_for(folder, lambda m: m.value("npu:launches_total") > frozen)
            self.assertGreater(resumed.value("npu:launches_total"), frozen)
        finally:
            sim.kill()
            sim.communicate(timeout=30)


class SeriesShapeTest(ConfigTestCase):
    def test_constant_labels_on_every_series(self):
        _, truth, s = self.sim("labels:\n  cluster: demo\n  zone: 'a b'\n",
                               ["--steps", "3", "--launches", "2"])
        self.assertTrue(s.samples)
        for name, labels, _ in s.samples:
            if name.startswith("vllm_profiling_"):
                self.assertEqual(labels.get("cluster"), "demo", name)
                self.assertEqual(labels.get("zone"), "a b", name)
        self.assertEqual(s.value("npu:steps_total", cluster="demo"), truth["steps"])

    def test_bucket_overrides(self):
        _, truth, s = self.sim("buckets:\n  npu:forward_duration: [0.001, 1]\n"
                               "  npu:no_such_histogram: [1]\n",
                               ["--steps", "3", "--launches", "2"])
        bounds = s.label_values("npu:forward_duration_bucket", "le")
        self.assertEqual(sorted(bounds, key=float), ["0.001", "1.0", "+Inf"])
        self.assertEqual(s.value("npu:forward_duration_bucket", le="+Inf"), truth["steps"])
        # Other families keep their built-in buckets (kStepSeconds, probes/src/metric_families.cc).
        self.assertEqual(sorted(float(b) for b in
                                s.label_values("npu:sync_wait_duration_bucket", "le")),
                         [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025,
                          0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 300,
                          float("inf")])

    def test_an_unknown_bucket_family_is_said(self):
        proc, _, _ = self.sim("buckets:\n  npu:no_such_histogram: [1]\n",
                              ["--steps", "2", "--launches", "1"])
        self.assertIn("buckets.npu:no_such_histogram: npuprobe has no histogram", proc.stderr)


class LoggingTest(ConfigTestCase):
    def test_lines_go_to_the_log_file_tagged_with_pid_and_level(self):
        log = os.path.join(self.tmp.name, "npuprobe.log")
        proc, _, _ = self.sim(f"logging:\n  file: {log}\n  level: debug\n"
                              "hooks:\n  skip: [aclrtNoSuchThing]\n",
                              ["--steps", "2", "--launches", "1"])
        self.assertNotIn("aclrtNoSuchThing", proc.stderr)
        with open(log) as f:
            text = f.read()
        line = next(l for l in text.splitlines() if "aclrtNoSuchThing" in l)
        self.assertRegex(line, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[npuprobe\] "
                               r"\[pid \d+\] \[warning\] hooks\.skip")
        # The start line names the build (version, git description, architecture, glibc floor):
        # at info level in a log file, while the application's stderr keeps it only at debug.
        self.assertRegex(text, r"\[info\] npuprobe \d+\.\d+\.\d+ \(\S+, \S+, glibc floor "
                               r"[\d.]+\) started: store folder /")

    def test_an_unwritable_log_file_falls_back_to_stderr(self):
        proc, truth, s = self.sim("logging:\n  file: /proc/no/such/dir/npuprobe.log\n",
                                  ["--steps", "2", "--launches", "1"])
        self.assertIn("cannot open log file /proc/no/such/dir/npuprobe.log", proc.stderr)
        self.assertIn("[npuprobe] [pid", proc.stderr)
        self.assertEqual(s.value("npu:steps_total"), truth["steps"])


class StatusTest(ConfigTestCase):
    def row(self, out, pid):
        line = self.status_row(out, pid)
        if line is None:
            self.fail(f"pid {pid} not in:\n{out}")
        return line

    def test_live_off_and_dead_processes(self):
        self.write_yaml("logging:\n  level: warn\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = start_sim(["--steps", "100000", "--launches", "2", "--devices", "0,1",
                         "--host-gap-us", "1000"], folder, dict(self.extra, VLLM_DP_RANK="3"))
        try:
            # Registered once both devices are set (the row lists them).
            row = self.wait_row(sim.pid, r"^\d+\s+on\s+0,1\s")
            self.assertRegex(row, rf"^{sim.pid}\s+on\s+0,1\s+3\s+1\s+\d+\.\ds ago\s+v2\s+"
                                  rf"{re.escape(folder)}\s+{re.escape(NPU_SIM)} --steps")
            self.cli("off")
            self.wait_row(sim.pid, r"^\d+\s+off\s")
            self.assertIn("switch " + self.prefix + "_control: OFF", self.cli("status"))
            self.cli("restart")
            self.wait_row(sim.pid, r"^\d+\s+on\s+0,1\s+3\s+2\s")
        finally:
            sim.send_signal(signal.SIGKILL)
            sim.communicate(timeout=30)
        entry = os.path.join(self.registry, f"{sim.pid}.proc")
        self.assertTrue(os.path.exists(entry), "a killed process leaves its entry")
        self.assertRegex(self.row(self.cli("status"), sim.pid), r"dead \(removed\)")
        self.assertFalse(os.path.exists(entry))
        self.assertIn("0 instrumented process(es)", self.cli("status"))

    def test_a_normal_exit_removes_the_entry(self):
        self.sim("", ["--steps", "3", "--launches", "1"])
        self.assertEqual(os.listdir(self.registry), [])


if __name__ == "__main__":
    unittest.main()
