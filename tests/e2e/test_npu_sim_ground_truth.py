#!/usr/bin/python3
"""npu-sim's --report must agree with what the simulated device observed (NPU_MOCK_STATS_FILE),
for every binding x task-queue x graph combination and the other workload shapes.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest tests/e2e/test_npu_sim_ground_truth.py
"""
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.path.abspath(os.environ.get("NPUPROBE_BUILD", "build"))
NPU_SIM = os.path.join(BUILD, "mock", "bin", "npu-sim")
MOCK_LIB = os.path.join(BUILD, "mock", "lib")
HELPER = os.path.join(MOCK_LIB, "libnpusim-helper.so")
HELPER_FUNCTIONS = ("npu_sim_stray_sync", "npu_sim_slow_launch")

ACLNN_LAUNCHES = ("aclnnMatmul", "aclnnAdd", "aclnnSilu")
SYNC_CALLS = {"stream": "aclrtSynchronizeStream", "device": "aclrtSynchronizeDevice",
              "event": "aclrtSynchronizeEvent", "memcpy": "aclrtMemcpy"}


def run_sim(args, env_extra=None):
    with tempfile.TemporaryDirectory() as tmp:
        report_path = os.path.join(tmp, "report.json")
        stats_path = os.path.join(tmp, "stats.json")
        env = dict(os.environ, NPU_MOCK_STATS_FILE=stats_path)
        env.update(env_extra or {})
        proc = subprocess.run([NPU_SIM, "--report", report_path] + args, env=env,
                              capture_output=True, text=True, timeout=120)
        with open(report_path) as f:
            report = json.load(f)
        with open(stats_path) as f:
            stats = json.load(f)
    return proc, report, stats


class GroundTruthTest(unittest.TestCase):
    def check_agreement(self, args, report, stats):
        calls = stats["calls"]
        opts = report["options"]
        for dev, truth in report["devices"].items():
            seen = stats["devices"][dev]
            self.assertEqual(truth["kernels"], seen["kernels"], f"kernels on device {dev}: {args}")
            self.assertEqual(truth["steps"], opts["steps"])
            self.assertEqual(seen["busy_ns"], truth["kernels"] * truth["kernel_ns"])
            self.assertEqual(seen["used_bytes"], 0, "everything freed at the end")
            self.assertEqual(truth["bytes_allocated"], truth["bytes_freed"])
            self.assertGreaterEqual(seen["peak_bytes"], truth["bytes_allocated"] // 2)
        devices = len(report["devices"])
        launches = {}
        syncs = {}
        for truth in report["devices"].values():
            for k, v in truth["launches"].items():
                launches[k] = launches.get(k, 0) + v
            for k, v in truth["syncs"].items():
                syncs[k] = syncs.get(k, 0) + v
        aclnn_calls = sum(calls.get(n, 0) for n in ACLNN_LAUNCHES)
        self.assertEqual(aclnn_calls, launches.get("aclnn", 0) + (
            launches.get("capture", 0) if opts["launch_api"] == "aclnn" else 0))
        # Each aclnn second stage makes exactly one nested launch in libascendcl.
        self.assertEqual(calls.get("aclrtLaunchKernelWithHostArgs", 0), aclnn_calls)
        self.assertEqual(calls.get("aclmdlRIExecuteAsync", 0), launches.get("graph", 0))
        self.assertEqual(calls.get("aclrtMemcpyAsync", 0), launches.get("memcpy_async", 0))
        for kind, fn in SYNC_CALLS.items():
            # --stray-sync-every's extra syncs are the same call, reported apart from the wait
            stray = syncs.get("stray_stream", 0) if kind == "stream" else 0
            self.assertEqual(calls.get(fn, 0), syncs.get(kind, 0) + stray, f"{fn}: {args}")
        self.assertEqual(calls.get("aclrtSetDevice", 0), devices * (2 if opts["task_queue"] else 1))
        if opts["graph"]:
            self.assertEqual(launches.get("capture", 0), devices * opts["launches"])
            self.assertEqual(launches.get("graph", 0), devices * opts["steps"])

    def test_every_binding_taskqueue_graph_combination(self):
        for binding, task_queue, graph in itertools.product(
                ("linked", "dlsym", "opapi"), (False, True), (False, True)):
            args = ["--steps", "6", "--launches", "5", "--device-us", "100", "--host-gap-us", "100",
                    "--binding", binding] + (["--task-queue"] if task_queue else []) + (
                        ["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                proc, report, stats = run_sim(args)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.check_agreement(args, report, stats)

    def test_other_workload_shapes(self):
        shapes = [
            ["--async-sched", "--task-queue"],
            ["--async-sched", "--graph", "--binding", "dlsym"],
            ["--sync", "device", "--devices", "0,1", "--launch-api", "mixed"],
            ["--sync", "memcpy", "--expandable", "--alloc-bytes", "10000000"],
            ["--sync", "event", "--launch-api", "kernel", "--alloc-bytes", "123456"],
            ["--launch-api", "aclop", "--devices", "2,3", "--task-queue", "--binding", "opapi"],
            ["--async-sched", "--task-queue", "--stray-sync-every", "3", "--slow-launch-every", "2",
             "--slow-launch-us", "100", "--launch-api", "mixed"],
            ["--sync", "event", "--stray-sync-every", "1", "--devices", "0,1"],
        ]
        for shape in shapes:
            args = ["--steps", "5", "--launches", "4", "--device-us", "50", "--host-gap-us", "50"] + shape
            with self.subTest(args=" ".join(args)):
                proc, report, stats = run_sim(args)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.check_agreement(args, report, stats)

    def test_async_sched_overlaps_every_step_after_the_first(self):
        proc, report, _ = run_sim(["--steps", "7", "--launches", "3", "--async-sched"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        truth = report["devices"]["0"]
        self.assertEqual(truth["overlapped_steps"], 6)
        self.assertEqual(truth["syncs"], {"event": 7})
        self.assertEqual(truth["launches"], {"aclnn": 21, "memcpy_async": 7})

    def test_wall_time_covers_simulated_device_and_host_time(self):
        proc, report, _ = run_sim(["--steps", "10", "--launches", "4", "--device-us", "500",
                                   "--host-gap-us", "1000"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        truth = report["devices"]["0"]
        self.assertGreaterEqual(truth["host_gap_ns"], 10 * 1000 * 1000)
        self.assertGreaterEqual(report["wall_ns"], truth["device_ns"] + truth["host_gap_ns"])

    def test_injected_failure_reaches_the_caller_and_the_report(self):
        proc, report, stats = run_sim(["--steps", "5", "--launches", "2"],
                                      {"NPU_MOCK_FAIL": "aclrtSynchronizeStream:3:507015"})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("aclrtSynchronizeStream failed with 507015", proc.stderr)
        self.assertEqual(report["devices"]["0"]["errors"], {"aclrtSynchronizeStream": 1})
        self.assertEqual(stats["calls"]["aclrtSynchronizeStream"], 5)

    def test_memory_pressure_fails_allocations_and_counts_them(self):
        proc, report, stats = run_sim(["--steps", "2", "--launches", "2", "--alloc-bytes", "2000000"],
                                      {"NPU_MOCK_HBM_BYTES": "1000000"})
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(report["devices"]["0"]["alloc_failures"], 1)
        self.assertEqual(stats["devices"]["0"]["alloc_failures"], 1)
        self.assertEqual(report["devices"]["0"]["steps"], 2, "the run goes on without the block")

    def test_libmspti_first_in_preload_forwards_and_changes_nothing(self):
        args = ["--steps", "4", "--launches", "3", "--binding", "dlsym"]
        plain, _, _ = run_sim(args)
        preloaded, _, stats = run_sim(args, {"LD_PRELOAD": os.path.join(MOCK_LIB, "libmspti.so"),
                                             "LD_LIBRARY_PATH": MOCK_LIB})
        self.assertEqual(preloaded.returncode, plain.returncode)
        self.assertEqual(preloaded.stdout, plain.stdout)
        self.assertEqual(stats["calls"]["aclrtSynchronizeStream"], 4)

    def test_stray_syncs_and_slow_launches_are_counted(self):
        # 6 steps x 5 launches = 30 launches, or 6 graph replays (captured launches do not count).
        for binding, task_queue, graph in itertools.product(
                ("linked", "dlsym", "opapi"), (False, True), (False, True)):
            args = ["--steps", "6", "--launches", "5", "--device-us", "50", "--host-gap-us", "50",
                    "--binding", binding, "--stray-sync-every", "4", "--slow-launch-every", "3",
                    "--slow-launch-us", "300"] + (["--task-queue"] if task_queue else []) + (
                        ["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                proc, report, stats = run_sim(args)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.check_agreement(args, report, stats)
                truth = report["devices"]["0"]
                made = 6 if graph else 30
                self.assertEqual(truth["syncs"], {"stream": 6, "stray_stream": made // 4})
                self.assertEqual(truth["slow_launches"], made // 3)
                self.assertEqual(sum(truth["launches"].values()) - truth["launches"].get("capture", 0),
                                 made, "a slow launch is still one launch")
                self.assertGreaterEqual(report["wall_ns"], truth["slow_launches"] * 300_000)
                self.assertEqual(report["options"]["slow_launch_us"], 300)

    def test_off_by_default(self):
        proc, report, _ = run_sim(["--steps", "3", "--launches", "4"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(report["devices"]["0"]["slow_launches"], 0)
        self.assertEqual(report["devices"]["0"]["syncs"], {"stream": 3})

    # binutils comes with build-essential: on CI (CI=true) its absence is a failure, not a skip.
    @unittest.skipUnless(os.environ.get("CI") == "true" or
                         (shutil.which("readelf") and shutil.which("nm")), "binutils needed")
    def test_helper_library_has_debug_info_and_exports_both_functions(self):
        sections = subprocess.run(["readelf", "-S", "-W", HELPER], capture_output=True, text=True,
                                  check=True).stdout
        for name in (".debug_info", ".debug_line", ".eh_frame", ".symtab"):
            self.assertIn(name, sections, f"{name}: the helper must not be stripped")
        dynamic = subprocess.run(["nm", "-D", "--defined-only", HELPER], capture_output=True,
                                 text=True, check=True).stdout.split()
        for fn in HELPER_FUNCTIONS:
            self.assertIn(fn, dynamic)
        info = subprocess.run(["readelf", "--debug-dump=info", HELPER], capture_output=True,
                              text=True, check=True).stdout
        for fn in HELPER_FUNCTIONS:
            self.assertIn(fn, info, "a DW_TAG_subprogram names each function")
        self.assertIn("npusim_helper.cc", info)
        needed = subprocess.run(["readelf", "-d", NPU_SIM], capture_output=True, text=True,
                                check=True).stdout
        self.assertIn("[libnpusim-helper.so]", needed, "npu-sim links the helper")

    def test_usage_errors_exit_2(self):
        proc = subprocess.run([NPU_SIM, "--binding", "nope"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("bad value for --binding", proc.stderr)
        proc = subprocess.run([NPU_SIM, "--slow-launch-every", "-1"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("bad value for --slow-launch-every", proc.stderr)


if __name__ == "__main__":
    unittest.main()
