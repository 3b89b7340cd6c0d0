#!/usr/bin/python3
"""`npuprobe top --once`: one table over one interval of a live store folder, one row per
(dp, device), with rates and interval means that match what npu-sim is told to do (lower bounds
from the workload's options, upper bounds from the interval's own step period); the busy% column
only with task time on, within 30% of steps/s x kernels x kernel time.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_top
"""
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
import unittest

from npuprobe_run import CLI, MOCK_LIB, NPU_SIM, PRELOAD, preload_env, start_sim, wait_for
from test_runtime_switch import ConfigFileCase

MIB = 1 << 20
LAUNCHES, DEVICE_US, HOST_GAP_US = 20, 30, 2000
WORKLOAD = ["--steps", "1000000", "--launches", str(LAUNCHES), "--device-us", str(DEVICE_US),
            "--host-gap-us", str(HOST_GAP_US), "--devices", "0,1", "--alloc-bytes", str(64 * MIB)]


def parse_table(out):
    """{(dp, device): {column: value}} from top's output: a title line, a header, the rows."""
    lines = out.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.split()[:2] == ["dp", "device"]),
                     None)
    if header_at is None:
        raise AssertionError(f"no table in npuprobe top's output:\n{out}")
    columns = lines[header_at].split()
    rows = {}
    for line in lines[header_at + 1:]:
        if not line.strip():
            break
        values = dict(zip(columns, line.split()))
        rows[(values["dp"], values["device"])] = {
            k: (None if v == "-" else float(v)) for k, v in values.items()
            if k not in ("dp", "device")}
    return columns, rows


class TopTest(ConfigFileCase):
    def env(self, **extra):
        return dict({"NPUPROBE_CONFIG": self.yaml, "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix,
                     "NPUPROBE_REGISTRY_DIR": os.path.join(self.tmp.name, "registry"),
                     "VLLM_DP_RANK": "3"}, **extra)

    def top_once(self, extra_env, interval=1):
        """Starts npu-sim, waits until both devices published steps, runs `top --once` over
        `interval` seconds."""
        self.write_yaml("logging:\n  level: warn\n" + extra_env.pop("yaml", ""))
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = start_sim(WORKLOAD, folder, self.env(**extra_env))
        try:
            s = wait_for(folder, lambda s: all(s.value("npu:steps_total", device=d) > 0
                                               for d in (0, 1)))
            for d in (0, 1):
                self.assertGreater(s.value("npu:steps_total", device=d), 0)
            out = subprocess.run([CLI, "top", "--dir", folder, "--once", "--interval",
                                  str(interval)], capture_output=True, text=True, timeout=60)
        finally:
            sim.kill()
            sim.communicate(timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("\033[", out.stdout, "no screen clearing when stdout is not a terminal")
        self.assertRegex(out.stdout.splitlines()[0],
                         rf"^npuprobe top .* {folder}\s+last {interval}\.\d\d s")
        return parse_table(out.stdout)

    def test_one_row_per_device_with_the_workload_numbers(self):
        # Three seconds: top's rates divide by its own interval, the totals are those of each
        # process's last flush before a read (every 100 ms here), so a flush late by a slow
        # machine (a sanitizer build under load: 150 ms seen) moves a rate by its share of the
        # interval, 15% of one second but 5% of three.
        columns, rows = self.top_once({}, interval=3)
        self.assertEqual(sorted(rows), [("3", "0"), ("3", "1")])
        self.assertNotIn("busy%", columns, "no task time: no busy column")
        gap_ms, device_ms = HOST_GAP_US / 1000, LAUNCHES * DEVICE_US / 1000
        for key, row in rows.items():
            with self.subTest(device=key):
                # A step is at least the host gap plus the kernels' device time.
                self.assertGreater(row["steps/s"], 1)
                self.assertLess(row["steps/s"], 1000 / (gap_ms + device_ms))
                self.assertAlmostEqual(row["launches/s"] / row["steps/s"], LAUNCHES, delta=1)
                self.assertGreaterEqual(row["forward"], device_ms)
                self.assertLessEqual(row["kernel_launch"], row["forward"])
                self.assertGreaterEqual(row["non_forward"], gap_ms)
                # Upper bounds from the same interval's step rate: npu-sim's steps follow each
                # other with nothing between (forward, then the host gap, then the next step),
                # so a step's forward and non_forward add up to its period, 1000 / steps/s ms,
                # whatever the load. 15%: steps cut by the interval's edges and flushes late by
                # up to ~5% of it (above).
                # A forward that spans two steps' kernels, or that swallows the gap, goes over.
                period = 1000 / row["steps/s"]
                self.assertLessEqual(row["forward"] + row["non_forward"], 1.15 * period,
                                     f"period {period:.3f} ms: {row}")
                self.assertLessEqual(row["forward"], 1.15 * period - gap_ms, row)
                share = 100 * row["non_forward"] / (row["forward"] + row["non_forward"])
                self.assertAlmostEqual(row["host_wait%"], share, delta=0.2)
                self.assertEqual(row["comm%"], 0, "no collectives: none of the step's time")
                self.assertGreater(row["launch_api/step"], 0)
                self.assertLessEqual(row["launch_api/step"], row["kernel_launch"] + 0.001)
                self.assertGreaterEqual(row["alloc_MiB"], 64)
                self.assertLess(row["alloc_MiB"], 80)

    def running_sim_folder(self):
        """npu-sim publishing into a new folder, both devices' steps seen; the caller kills it."""
        self.write_yaml("logging:\n  level: warn\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = start_sim(WORKLOAD, folder, self.env())
        self.addCleanup(lambda: (sim.kill(), sim.communicate(timeout=30)))
        wait_for(folder, lambda s: all(s.value("npu:steps_total", device=d) > 0 for d in (0, 1)))
        return folder

    def test_once_json_has_the_table_numbers(self):
        folder = self.running_sim_folder()
        out = subprocess.run([CLI, "top", "--dir", folder, "--once", "--json", "--interval", "1"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        report = json.loads(out.stdout)
        self.assertEqual((report["folder"], report["skipped_files"]), (folder, 0))
        self.assertGreaterEqual(report["interval_s"], 1)
        self.assertEqual(sorted((r["dp"], r["device"]) for r in report["rows"]),
                         [("3", "0"), ("3", "1")])
        for row in report["rows"]:
            self.assertAlmostEqual(row["launches_per_s"] / row["steps_per_s"], LAUNCHES, delta=1)
            self.assertIsNone(row["busy_percent"])
            self.assertEqual(row["comm_share"], 0)
        bad = subprocess.run([CLI, "top", "--dir", folder, "--json"], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--json goes with --once", bad.stderr)

    def test_on_a_terminal_lines_fit_its_width_and_q_quits(self):
        folder = self.running_sim_folder()
        pid, fd = pty.fork()
        if pid == 0:  # the child: top on the terminal pty.fork made
            os.execv(CLI, [CLI, "top", "--dir", folder, "--interval", "0.2"])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 50, 0, 0))
        screen = b""
        deadline = time.monotonic() + 30
        while screen.count(b"\033[H\033[2J") < 3 and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                screen += os.read(fd, 65536)
        os.write(fd, b"q")
        for _ in range(100):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.fail("top did not quit on q")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        while True:  # what top wrote before it quit, to the end
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        os.close(fd)
        screens = [s.decode().replace("\r", "") for s in screen.split(b"\033[H\033[2J")[1:]]
        tables = [[l for l in s.split("\n") if l] for s in screens]
        self.assertTrue(any(len(t) >= 3 for t in tables), screens)  # title, header, rows
        for table in tables:
            self.assertTrue(all(len(l) <= 50 for l in table), table)
            self.assertTrue(not table or table[0].startswith("npuprobe top"), table)

    def test_busy_column_with_task_time(self):
        columns, rows = self.top_once({"yaml": "task_time:\n  mode: 2\n",
                                       "NPU_MOCK_MSPTI_QUEUE": "10000000",
                                       "LD_PRELOAD": PRELOAD + " " + os.path.join(MOCK_LIB,
                                                                                  "libmspti.so")})
        self.assertEqual(columns[-1], "busy%")
        for key, row in rows.items():
            with self.subTest(device=key):
                # Kernel time per second of wall time: steps/s x K kernels x D us (the device
                # runs each kernel exactly D us). Records arrive in batches, so an interval sees
                # its own kernels give or take a batch: measured within 2% of the expected
                # value, bounded at 30% (and 0.2 for the column's one decimal). A kernel
                # counted twice or a step's kernels missed is outside.
                expected = row["steps/s"] * LAUNCHES * DEVICE_US / 1e4
                self.assertGreaterEqual(row["busy%"], 0.7 * expected - 0.2, row)
                self.assertLessEqual(row["busy%"], 1.3 * expected + 0.2, row)

    def test_comm_share_of_moe_steps(self):
        # Two HCCL ranks (processes, devices 0 and 1), each step 4 launches then 2 MoE layers of
        # dispatch + combine, every collective spinning HCCL_HOST_US on the host: at least
        # 4 x HCCL_HOST_US of each step's forward is inside collectives.
        hccl_host_us, calls = 500, 4
        self.write_yaml("logging:\n  level: warn\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = subprocess.Popen(
            [NPU_SIM, "--steps", "1000000", "--launches", "4", "--device-us", "50",
             "--host-gap-us", str(HOST_GAP_US), "--hccl-ranks", "2", "--moe-layers", "2"],
            env=preload_env(folder, self.env(NPU_MOCK_HCCL_HOST_US=str(hccl_host_us))),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)  # the rank processes too: one group to stop
        try:
            wait_for(folder, lambda s: all(s.value("npu:steps_total", device=d) > 0
                                           for d in (0, 1)))
            out = subprocess.run([CLI, "top", "--dir", folder, "--once", "--json", "--interval",
                                  "1"], capture_output=True, text=True, timeout=60)
            table = subprocess.run([CLI, "top", "--dir", folder, "--once", "--interval", "0.5"],
                                   capture_output=True, text=True, timeout=60)
        finally:
            os.killpg(sim.pid, signal.SIGKILL)
            sim.communicate(timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = json.loads(out.stdout)["rows"]
        self.assertEqual(sorted((r["dp"], r["device"]) for r in rows), [("3", "0"), ("3", "1")])
        for row in rows:
            with self.subTest(device=row["device"]):
                lower = calls * hccl_host_us / 1000 / row["forward_ms"]
                # 5%: a publish may fall between a step's two observations (a step of ~200).
                self.assertGreaterEqual(row["comm_share"], 0.95 * lower, row)
                self.assertLessEqual(row["comm_share"], 1, row)
        columns, by_device = parse_table(table.stdout)
        self.assertIn("comm%", columns)
        for key, row in by_device.items():
            self.assertGreater(row["comm%"], 0, key)
            self.assertLessEqual(row["comm%"], 100, key)

    def test_bad_options_and_missing_folder(self):
        missing = os.path.join(self.tmp.name, "missing")
        out = subprocess.run([CLI, "top", "--dir", missing, "--once"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("not a folder", out.stderr)
        for bad in (["--interval", "0"], ["--interval", "x"], ["--iterations", "0"], ["--x"]):
            with self.subTest(args=bad):
                out = subprocess.run([CLI, "top", "--dir", self.tmp.name] + bad,
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual(out.returncode, 2, out.stderr)
                self.assertIn("usage: npuprobe top", out.stderr)
        help_text = subprocess.run([CLI, "help"], capture_output=True, text=True).stdout
        self.assertRegex(help_text, r"(?m)^  top \[--dir D\] \[--interval S\]")


if __name__ == "__main__":
    unittest.main()
