#!/usr/bin/python3
"""The runtime switch: a running npu-sim under npuprobe follows ms_service_metric's control
segment (`npuprobe on|off|restart` from another process), a segment written by a Python helper
the way ms_service_metric lays it out is read, and `npuprobe on` signals a Python process that
registered a SIGUSR1 handler in the pid ring.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_runtime_switch
"""
import os
import re
import signal
import struct
import subprocess
import tempfile
import time
import unittest

from npuprobe_run import (CLI, NPU_SIM, OWN_REGISTRY, TIME_SCALE, dump, preload_env, start_sim,
                          wait_for, wait_until)

SWITCH_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "switch_peer.py")

MAGIC, END = 0x4D534D54, 0xDEADBEEF


def shm_path(prefix, what):
    return "/dev/shm/" + (prefix.lstrip("/") + "_control" if what == "control"
                          else "sem." + prefix.lstrip("/") + "_semaphore")


def write_segment(prefix, on, timestamp, pids=(), max_procs=8, magic=MAGIC):
    """What ms_service_metric creates: header, state, timestamp, pid ring (the cursor past the
    pids, as its add_process leaves it)."""
    data = struct.pack("<9I", magic, 1, 28, 1 if on else 0, timestamp, 28, END, max_procs,
                       len(pids) % max_procs)
    ring = list(pids) + [0] * (max_procs - len(pids))
    data += struct.pack(f"<{max_procs}I", *ring)
    with open(shm_path(prefix, "control"), "wb") as f:
        f.write(data)


def remove_segment(prefix):
    """Removes the control segment and semaphore of `prefix` (a test's own), if any."""
    for what in ("control", "semaphore"):
        try:
            os.unlink(shm_path(prefix, what))
        except FileNotFoundError:
            pass


def read_segment(prefix):
    with open(shm_path(prefix, "control"), "rb") as f:
        return struct.unpack("<9I", f.read(36))


def status_row(out, pid):
    """The row of `pid` in `npuprobe status`'s output, or None."""
    for line in out.splitlines():
        if line.split()[:1] == [str(pid)]:
            return line
    return None


def wait_status(test, env, pid, pattern, timeout=15):
    """Polls `npuprobe status` (with `env`) until the row of `pid` matches `pattern`: the state
    the process itself published in the registry. Fails with the last output after timeout."""
    last = [""]

    def matches():
        last[0] = subprocess.run([CLI, "status"], env=env, capture_output=True, text=True,
                                 timeout=30).stdout
        row = status_row(last[0], pid)
        return row is not None and re.search(pattern, row) is not None
    if not wait_until(matches, timeout=timeout):
        test.fail(f"row of pid {pid} never matched {pattern!r}:\n{last[0]}")


def wait_published_after(test, env, pid, since, timeout=15):
    """Polls `npuprobe status` until the row of `pid` shows a publish (a flush) that began after
    `since` (time.time()). A flush polls the control segment first, so from then on the
    process has seen every command given before `since`."""
    last = [""]

    def published():
        asked = time.time()
        last[0] = subprocess.run([CLI, "status"], env=env, capture_output=True, text=True,
                                 timeout=30).stdout
        row = status_row(last[0], pid)
        ago = re.search(r"\s(\d+\.\d)s ago\s", row or "")
        # "N.Ns ago" is rounded to 0.1 s: take the earliest the publish can have been.
        return ago is not None and asked - float(ago.group(1)) - 0.15 > since
    if not wait_until(published, timeout=timeout):
        test.fail(f"pid {pid} published nothing after the command:\n{last[0]}")


def steady(folder, name, quiet_s=0.3, timeout=15):
    """Waits until `name` stays the same across two dumps `quiet_s` apart (three flush
    intervals: whatever was recorded has been published); returns that value."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    previous = dump(folder).value(name)
    while True:
        time.sleep(quiet_s)
        now = dump(folder).value(name)
        if now == previous or time.monotonic() > deadline:
            return now
        previous = now


def reaped_pid():
    """The pid of a child this process started and reaped: dead, and not reused by a process
    of ours while the test runs (the kernel hands pids out in order, wrapping at pid_max)."""
    child = subprocess.Popen(["/bin/true"])
    child.wait()
    return child.pid


class RuntimeSwitchTest(unittest.TestCase):
    def setUp(self):
        self.prefix = f"/npuprobe_test_{os.getpid()}_{self.id().split('.')[-1][:20]}"
        self.tmp = tempfile.TemporaryDirectory()
        self.env_extra = {"MS_SERVICE_METRIC_SHM_PREFIX": self.prefix,
                          "NPUPROBE_REGISTRY_DIR": os.path.join(self.tmp.name, "registry")}

    def tearDown(self):
        remove_segment(self.prefix)
        self.tmp.cleanup()

    def cli(self, *args):
        env = dict(os.environ, **self.env_extra)
        out = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_off_on_restart_on_a_running_process(self):
        with tempfile.TemporaryDirectory() as folder:
            sim = start_sim(["--steps", "1000000", "--launches", "2", "--device-us", "20",
                             "--host-gap-us", "1000"], folder, self.env_extra)
            try:
                steps = lambda: dump(folder).value("npu:steps_total")
                # Running (and polling the switch) before the first command: a sanitizer build
                # on a loaded machine may take longer than any fixed sleep to start.
                wait_for(folder, lambda m: m.value("npu:steps_total") > 0)
                before = steps()
                self.assertGreater(before, 0)
                env = dict(os.environ, **self.env_extra)
                self.assertIn("OFF", self.cli("off"))
                wait_status(self, env, sim.pid, r"^\d+\s+off\s")  # the process saw OFF
                stopped = steady(folder, "npu:steps_total")
                time.sleep(0.5)  # an observation window, not a synchronisation: 5 flushes
                self.assertEqual(steps(), stopped, "recording stopped while OFF")
                self.assertIn("ON", self.cli("on"))
                wait_status(self, env, sim.pid, r"^\d+\s+on\s")
                resumed = wait_for(folder, lambda m: m.value("npu:steps_total") > stopped)
                self.assertGreater(resumed.value("npu:steps_total"), stopped, "recording resumed")
                since = time.time()
                self.cli("restart")
                wait_published_after(self, env, sim.pid, since)  # it polled: reload 1 is done
                self.assertEqual(sim.poll(), None, "npu-sim still running for the whole check")
            finally:
                sim.kill()
                _, stderr = sim.communicate(timeout=30)
        self.assertIn("runtime switch: OFF", stderr)
        self.assertIn("runtime switch: ON", stderr)
        self.assertIn("configuration reload 1", stderr)

    def test_a_segment_written_by_ms_service_metric_is_followed(self):
        write_segment(self.prefix, on=False, timestamp=1700000000)
        with tempfile.TemporaryDirectory() as folder:
            proc = subprocess.run([NPU_SIM, "--steps", "5", "--launches", "2"],
                                  env=preload_env(folder, self.env_extra), capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            off = dump(folder)
            # OFF from the first call: no device is ever seen, so no step series exists at all.
            self.assertTrue(off.absent("npu:steps_total"), "OFF from the start: " + off.text)
            self.assertTrue(off.absent("npu:launches_total"), off.text)
        write_segment(self.prefix, on=True, timestamp=1700000001)
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([NPU_SIM, "--steps", "5", "--launches", "2"],
                           env=preload_env(folder, self.env_extra), capture_output=True,
                           timeout=60)
            self.assertEqual(dump(folder).value("npu:steps_total"), 5)

    def test_a_malformed_segment_is_reported_and_collection_goes_on(self):
        write_segment(self.prefix, on=False, timestamp=1, magic=0x12345678)
        with tempfile.TemporaryDirectory() as folder:
            proc = subprocess.run([NPU_SIM, "--steps", "5", "--launches", "2"],
                                  env=preload_env(folder, self.env_extra), capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("wrong magic", proc.stderr)
            self.assertEqual(dump(folder).value("npu:steps_total"), 5)
        with open(shm_path(self.prefix, "control"), "wb") as f:
            f.write(b"\x00" * 10)  # short
        out = subprocess.run([CLI, "status"], env=dict(os.environ, **self.env_extra),
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("unusable", out.stdout)

    def test_on_signals_registered_python_processes_only(self):
        dead = reaped_pid()
        bystander = subprocess.Popen(["/bin/sleep", "20"])  # no handler: must not be killed
        write_segment(self.prefix, on=False, timestamp=5, pids=[bystander.pid, dead])
        # What ms_service_metric's SharedMemoryManager does in the process it instruments: keep
        # the segment mapped, add its pid to the ring, handle SIGUSR1.
        waiter = subprocess.Popen(["/usr/bin/python3", SWITCH_PEER, self.prefix, "--join"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(waiter.stdout.readline().strip(), "ready")
            out = self.cli("on")
            self.assertIn("signalled 1 process(es), skipped 1, cleared 1 dead", out)
            self.assertIn(f"  skipped 1: not an instrumented process (does not map "
                          f"{shm_path(self.prefix, 'control')}): {bystander.pid}\n", out)
            self.assertEqual(waiter.stdout.readline().strip(), "signalled")
            self.assertIsNone(bystander.poll(), "a process without a handler got no signal")
            magic, version, hlen, state, ts, off, end, length, cursor = read_segment(self.prefix)
            self.assertEqual((magic, version, hlen, state, off, end), (MAGIC, 1, 28, 1, 28, END))
            self.assertGreater(ts, 5)
        finally:
            bystander.kill()
            waiter.kill()
            waiter.wait()
            waiter.stdout.close()
            bystander.wait()


if __name__ == "__main__":
    unittest.main()


class ConfigFileCase(unittest.TestCase):
    """A test with its own temporary folder, YAML file (self.yaml) and control segment prefix."""

    def setUp(self):
        self.prefix = f"/npuprobe_test_{os.getpid()}_{self.id().split('.')[-1][:16]}"
        self.tmp = tempfile.TemporaryDirectory()
        # A cleanup, not tearDown: cleanups run last-in first-out after tearDown, so a process a
        # test started (and registered to kill) is gone before its folder is removed.
        self.addCleanup(self.tmp.cleanup)
        self.yaml = os.path.join(self.tmp.name, "npuprobe.yaml")

    def tearDown(self):
        remove_segment(self.prefix)

    def write_yaml(self, text):
        with open(self.yaml, "w") as f:
            f.write(text)


class ConfigFileTest(ConfigFileCase):
    """NPUPROBE_CONFIG: the YAML decides prefix, step minimum and log level (loaded through
    libnpuprobe-config.so); `npuprobe restart` applies a changed file to a running process."""

    def test_yaml_is_applied_and_reloaded_on_restart(self):
        self.write_yaml("metric_prefix: 'custom_'\nphases:\n  min_launches_per_step: 3\n"
                        "logging:\n  level: info\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        extra = {"NPUPROBE_CONFIG": self.yaml, "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix}
        proc = subprocess.run([NPU_SIM, "--steps", "5", "--launches", "2"],
                              env=preload_env(folder, extra), capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = dump(folder).text
        self.assertIn("custom_npu:launches_total", text)
        self.assertNotIn("vllm_profiling_", text)
        steps = [l for l in text.splitlines() if l.startswith("custom_npu:steps_total")]
        self.assertEqual([float(l.split()[-1]) for l in steps], [0.0],
                         "2 launches per step < min_launches_per_step 3")

        self.write_yaml("logging:\n  level: info\n")
        sim = start_sim(["--steps", "1000000", "--launches", "2", "--host-gap-us", "1000"], folder,
                        extra)
        env = dict(os.environ, MS_SERVICE_METRIC_SHM_PREFIX=self.prefix,
                   NPUPROBE_REGISTRY_DIR=OWN_REGISTRY)
        try:
            # The process must run and read the switch before the restart: a restart that is the
            # first state it reads is its starting state, not a change to reload on.
            deadline = time.time() + 15
            while (not any(f.endswith(f"_{sim.pid}-npu.db") for f in os.listdir(folder))
                   and time.time() < deadline):
                time.sleep(0.05)  # its first flush: it has started and polled the switch
            since = time.time()
            subprocess.run([CLI, "on"], env=env, check=True, capture_output=True, timeout=30)
            wait_published_after(self, env, sim.pid, since)  # it read ON: a restart is a change
            self.write_yaml("logging:\n  level: warn\n")
            subprocess.run([CLI, "restart"], env=env, check=True, capture_output=True, timeout=30)
            wait_status(self, env, sim.pid, r"^\d+\s+on\s+\S+\s+\S+\s+2\s")
            subprocess.run([CLI, "off"], env=env, check=True, capture_output=True, timeout=30)
            # OFF must have arrived (the process says so in the registry), or the absence of
            # its info line below would prove nothing.
            wait_status(self, env, sim.pid, r"^\d+\s+off\s")
        finally:
            sim.kill()
            _, stderr = sim.communicate(timeout=30)
        self.assertIn("configuration generation 2 applied", stderr)
        after = stderr.split("configuration generation 2 applied", 1)[1]
        self.assertNotIn("runtime switch: OFF", after, "level warn: info lines are gone")

    def test_a_malformed_file_is_reported_and_defaults_apply(self):
        self.write_yaml("store: [unclosed\n")
        with tempfile.TemporaryDirectory() as folder:
            proc = subprocess.run([NPU_SIM, "--steps", "4", "--launches", "2"],
                                  env=preload_env(folder, {"NPUPROBE_CONFIG": self.yaml}),
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(self.yaml, proc.stderr)
            self.assertEqual(dump(folder).value("npu:steps_total"), 4)
