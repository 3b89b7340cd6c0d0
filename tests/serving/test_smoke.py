#!/usr/bin/python3
"""Every smoke scenario end to end: scripts/run-smoke starts the vLLM-shaped harness under
`npuprobe run`, sends requests over HTTP and checks that the scenario's metrics increase on the
harness's /metrics (prometheus_client's MultiProcessCollector over the shared folder). A broken
npuprobe (NPUPROBE_DISABLE=1) must make basic fail with a report naming what did not increase.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_smoke   (in tests/serving/)
"""
import glob
import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_SMOKE = os.path.join(HERE, "..", "..", "scripts", "run-smoke")
BUILD = os.path.abspath(os.environ.get("NPUPROBE_BUILD", os.path.join(HERE, "..", "..", "build")))
# An instrumented preload cannot go into the uninstrumented /usr/bin/python3.
SANITIZED = os.environ.get("NPUPROBE_SANITIZER", "none") not in ("", "none")
TASK_TIME_METRIC = "vllm_profiling_npu:kernels_total"


@unittest.skipIf(SANITIZED, "sanitizer build: its libnpuprobe.so cannot be preloaded into python3")
class SmokeTest(unittest.TestCase):
    def setUp(self):
        self.workspace = tempfile.TemporaryDirectory(prefix="npuprobe-smoke-test-")

    def tearDown(self):
        self.workspace.cleanup()

    def run_smoke(self, scenario, *args, env=None):
        """Runs scripts/run-smoke; returns (exit status, output, assertion report or None)."""
        command = [RUN_SMOKE, "--scenario", scenario, "--build", BUILD,
                   "--workspace", self.workspace.name, "--debug-mode", *args]
        run_env = {k: v for k, v in os.environ.items() if k != "NPUPROBE_DISABLE"}
        run_env.update(env or {})
        out = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300)
        reports = glob.glob(os.path.join(self.workspace.name, "npuprobe-smoke", scenario, "*",
                                         "assertion_report.json"))
        report = None
        if len(reports) == 1:
            with open(reports[0]) as f:
                report = json.load(f)
        summaries = glob.glob(os.path.join(self.workspace.name, "npuprobe-smoke", "summaries",
                                           f"*-{scenario}-*.json"))
        self.assertEqual(len(summaries), 1, "every run leaves one summary")
        return out.returncode, out.stdout + out.stderr, report

    def assert_passes(self, scenario, *args):
        status, output, report = self.run_smoke(scenario, *args)
        self.assertEqual(status, 0, output)
        self.assertTrue(report["passed"], output)
        self.assertFalse(report["harness_stop"]["leftover_processes"], output)
        self.assertFalse(report["harness_stop"]["sigkill"], "the harness stops on SIGTERM")
        return report

    def test_basic(self):
        self.assert_passes("basic")

    def test_basic_with_fork_workers(self):
        self.assert_passes("basic", "--start-method", "fork")

    def test_dplb(self):
        report = self.assert_passes("dplb")
        dp_check = [c for c in report["checks"] if c.get("label") == "dp"]
        self.assertEqual(dp_check[0]["increased_for"], ["0", "1"])

    def test_dptp(self):
        # vllm serve -dp 2 -tp 2 on NPUs 4-7: every worker under its dp (from a title set after
        # its device init) and its host NPU, one npu:device_info row each.
        report = self.assert_passes("dptp")
        pairs = [c for c in report["checks"] if c.get("check", "").startswith("increases for "
                                                                                   "exactly")]
        self.assertEqual(pairs[0]["increased_for"],
                         [["0", "4"], ["0", "5"], ["1", "6"], ["1", "7"]])

    def test_dptp_with_fork_workers(self):
        self.assert_passes("dptp", "--start-method", "fork")

    def test_eplb(self):
        # Two DP engines in one HCCL communicator: MoE all-to-all-v every step, EPLB's broadcast
        # every 3 steps, counted exactly per request; each engine under its own rank.
        report = self.assert_passes("eplb")
        exact = {(c["metric"], tuple(sorted(c["labels"].items()))): c for c in report["checks"]
                 if "per_request" in c}
        broadcast = exact[("vllm_profiling_npu:hccl_bytes_total", (("op", "broadcast"),))]
        self.assertEqual(broadcast["per_request"], 3 * 4 * (1 << 20))
        self.assertEqual(broadcast["after"] - broadcast["before"], broadcast["expected_increase"])
        ranks = [c for c in report["checks"] if c.get("labels") == ["dp", "device", "rank", "size"]]
        self.assertEqual(ranks[0]["increased_for"], [["0", "0", "0", "2"], ["1", "1", "1", "2"]])

    def test_graph(self):
        self.assert_passes("graph")

    def test_taskqueue(self):
        self.assert_passes("taskqueue")

    def test_memory(self):
        self.assert_passes("memory")

    def test_tasktime(self):
        # kernels_total absent from /metrics is exactly what a broken task-time mode 2 looks like:
        # a failure, never a skip.
        report = self.assert_passes("tasktime")
        checks = [c for c in report["checks"] if c.get("metric") == TASK_TIME_METRIC]
        self.assertEqual(len(checks), 1, report["checks"])
        self.assertTrue(checks[0]["present"] and checks[0]["ok"], checks[0])
        self.assertGreater(checks[0]["after"], checks[0]["before"], checks[0])

    def test_disabled_npuprobe_fails_basic_with_a_clear_report(self):
        status, output, report = self.run_smoke("basic", "--metric-poll-timeout", "3",
                                                env={"NPUPROBE_DISABLE": "1"})
        self.assertEqual(status, 1, output)
        self.assertIn("FAILED basic", output)
        self.assertIn("vllm_profiling_npu:steps_total increased by 0 (0 -> 0); 4 requests x 9 = 36 "
                      "(absent from /metrics)", output)
        self.assertFalse(report["passed"])
        failed = {c["metric"] for c in report["checks"] if not c["ok"]}
        self.assertIn("vllm_profiling_npu:steps_total", failed)
        # The harness itself worked: requests served, its Python metric increased.
        self.assertEqual(report["requests"]["ok"], report["requests"]["sent"])
        self.assertNotIn("vllm:request_success_total", failed)
        self.assertFalse(report["harness_stop"]["leftover_processes"], output)


if __name__ == "__main__":
    unittest.main()
