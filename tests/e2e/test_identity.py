#!/usr/bin/python3
"""Who a process is in its labels (docs/contract.md, "Identity"), against real processes under
the preload: `device` is the host NPU behind ASCEND_RT_VISIBLE_DEVICES, `npu:device_info` joins
it with the process's own id, dp and pid; a dp named by a process title set after the first
publish moves every count to it (exactly, nothing left under the old dp); a fork child whose
environment names another folder publishes there.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_identity
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from npuprobe_run import FOREIGN_PRELOAD, FOREIGN_REASON, MOCK_LIB, SANITIZED, dump, \
    preload_env, run_sim, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "helpers", "identity_worker.py")


class DeviceIdentityTest(unittest.TestCase):
    def test_device_is_the_host_npu_behind_ascend_rt_visible_devices(self):
        proc, report, m, _ = run_sim(["--steps", "5", "--launches", "3", "--devices", "0,1"],
                                     {"ASCEND_RT_VISIBLE_DEVICES": "4,5"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(m.label_values("npu:steps_total", "device"), ["4", "5"])
        self.assertEqual(m.value("npu:steps_total", device="4"), 5)
        self.assertEqual(m.value("npu:steps_total", device="5"), 5)
        self.assertEqual(m.value("npu:launches_total", device="5"), 15)
        rows = sorted((l["device"], l["local_device"], l["dp"], l["model_name"])
                      for n, l, v in m.samples if n.endswith("npu:device_info") and v == 1)
        self.assertEqual(rows, [("4", "0", "0", ""), ("5", "1", "0", "")])
        pids = {l["process_pid"] for n, l, _ in m.samples if n.endswith("npu:device_info")}
        self.assertEqual(len(pids), 1)

    def test_a_device_beyond_the_visible_ones_is_refused_as_the_runtime_does(self):
        # "2" is beyond "4,5"; "5,4" descends, which the runtime refuses whole (no device).
        for visible, device in (("4,5", "2"), ("5,4", "0")):
            with self.subTest(visible=visible):
                proc, _, m, _ = run_sim(["--steps", "1", "--launches", "1", "--devices", device],
                                        {"ASCEND_RT_VISIBLE_DEVICES": visible})
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn("107001", proc.stdout + proc.stderr)
                self.assertTrue(m.absent("npu:steps_total"))


@unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
@unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
class LateTitleTest(unittest.TestCase):
    def run_late_title(self, title, extra_env=None):
        """Returns (samples after phase 1, after phase 2, after exit)."""
        with tempfile.TemporaryDirectory() as folder:
            env = preload_env(folder, {"NPU_MOCK_LIB": MOCK_LIB})
            env.pop("VLLM_DP_RANK", None)
            env.update(extra_env or {})
            proc = subprocess.Popen(["/usr/bin/python3", WORKER, "late-title", "4", "3"],
                                    env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                self.assertEqual(proc.stdout.readline().strip(), "phase 1")
                first = wait_for(folder, lambda m: m.value("npu:steps_total") == 4)
                proc.stdin.write(title + "\n")
                proc.stdin.flush()
                self.assertEqual(proc.stdout.readline().strip(), "phase 2")
                second = wait_for(folder, lambda m: m.value("npu:steps_total") == 7 and
                                  m.label_values("npu:steps_total", "dp") != ["0"])
                proc.stdin.write("\n")
                proc.stdin.flush()
                _, err = proc.communicate(timeout=60)
                self.assertEqual(proc.returncode, 0, err)
                return first, second, dump(folder)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()

    def test_a_title_set_after_the_first_publish_moves_every_count_to_its_dp(self):
        first, second, final = self.run_late_title("VLLM::Worker_DP1_TP0")
        self.assertEqual(first.label_values("npu:steps_total", "dp"), ["0"])
        self.assertEqual(first.value("npu:steps_total", dp="0"), 4)
        for m in (second, final):
            # Every series moved: none is left under dp 0, and the counts are whole.
            for name in ("npu:steps_total", "npu:device_info", "npuprobe:info"):
                self.assertEqual(m.label_values(name, "dp"), ["1"], name)
            self.assertEqual(m.value("npu:steps_total", dp="1"), 7)
            self.assertEqual(m.value("npu:launches_total", dp="1", api="kernel"), 7)
            self.assertTrue(m.absent("npu:launches_total", dp="0"))
            self.assertEqual(m.value("npu:syncs_total", dp="1", api="stream"), 7)

    def test_vllm_dp_rank_wins_over_the_title(self):
        first, second, final = self.run_late_title("VLLM::Worker_DP2_TP1",
                                                   {"VLLM_DP_RANK": "5"})
        for m in (first, final):
            self.assertEqual(m.label_values("npu:steps_total", "dp"), ["5"])
        self.assertEqual(final.value("npu:steps_total", dp="5"), 7)


@unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
@unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
class ForkFolderTest(unittest.TestCase):
    def test_a_fork_child_publishes_into_the_folder_its_environment_names(self):
        with tempfile.TemporaryDirectory() as folder:
            # Debug: the line saying where the child's files go (info would be the app's stderr).
            env = preload_env(None, {"NPU_MOCK_LIB": MOCK_LIB, "NPUPROBE_LOG_LEVEL": "debug"})
            # Its own session: the parent's private folder (/dev/shm/npuprobe-<uid>-<sid>) is
            # this run's alone, and removed below.
            proc = subprocess.Popen(["/usr/bin/python3", WORKER, "fork-folder", folder, "6"],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
            out, err = proc.communicate(timeout=120)
            private = f"/dev/shm/npuprobe-{os.getuid()}-{proc.pid}"
            try:
                self.assertEqual(proc.returncode, 0, err)
                child = out.strip()
                names = os.listdir(folder)
                self.assertIn(f"counter_{child}-npu.db", names, sorted(names))
                m = dump(folder)
                self.assertEqual(m.value("npu:steps_total"), 6)
                self.assertEqual(m.value("npu:launches_total", api="kernel"), 6)
                pids = {l["process_pid"] for n, l, _ in m.samples
                        if n.endswith("npu:device_info")}
                self.assertEqual(pids, {child})
                self.assertIn(f"fork child: PROMETHEUS_MULTIPROC_DIR names {folder}", err)
                # The parent published into its private folder; nothing of the child's is there.
                left = sorted(os.listdir(private))
                self.assertIn(f"counter_{proc.pid}-npu.db", left)
                self.assertFalse([f for f in left if child in f], left)
            finally:
                shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
