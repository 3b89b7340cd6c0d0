#!/usr/bin/python3
"""npu-sim under LD_PRELOAD=libnpuprobe.so: what `npuprobe dump` shows must match the ground
truth npu-sim reports (exact counts, bounded timings), for every binding x task queue x graph,
on one and two devices, with vLLM's async scheduling, memory pressure and injected faults.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_preload_vs_ground_truth
"""
import itertools
import unittest

from npuprobe_run import run_sim

PER_STEP = ("npu:forward_duration", "npu:kernel_launch", "npu:sync_wait_duration",
            "npu:launch_api_duration", "npu:launches_per_step")
SLACK = 1.0e-9 * 50_000  # 50 us of clock granularity per step, generous


class GroundTruthChecks:
    """The checks of one npu-sim run against its report; mixed into a unittest.TestCase."""

    def check(self, args, report, m):
        opts = report["options"]
        steps = opts["steps"]
        for dev, truth in report["devices"].items():
            d = {"device": dev}
            where = f"device {dev}: {' '.join(args)}"
            self.assertEqual(m.value("npu:steps_total", **d), truth["steps"], where)
            for api, n in truth["launches"].items():
                self.assertEqual(m.value("npu:launches_total", api=api, **d), n, f"{api} {where}")
            self.assertEqual(m.value("npu:launches_total", **d), sum(truth["launches"].values()),
                             f"no launch counted that npu-sim did not make: {where}")
            for api, n in truth["syncs"].items():
                self.assertEqual(m.value("npu:syncs_total", api=api, **d), n, f"{api} {where}")
            for name in PER_STEP:
                self.assertEqual(m.value(name + "_count", **d), steps, f"{name} {where}")
            self.assertEqual(m.value("npu:non_forward_duration_count", **d), steps - 1, where)
            # Launches of a step: every launch but those recorded into a graph (capture, task
            # group update) belongs to exactly one step.
            launched = sum(n for api, n in truth["launches"].items()
                           if api not in ("capture", "graph_update"))
            self.assertEqual(m.value("npu:launches_per_step_sum", **d), launched, where)
            # Memory: everything npu-sim allocated is freed again.
            self.assertEqual(m.value("npu:memory:allocs_total", **d), truth["allocs"], where)
            self.assertEqual(m.value("npu:memory:frees_total", **d), truth["frees"], where)
            self.assertEqual(m.value("npu:memory:alloc_failures_total", **d),
                             truth["alloc_failures"], where)
            self.assertEqual(m.value("npu:memory:allocated_bytes", **d),
                             truth["bytes_allocated"] - truth["bytes_freed"], where)
            self.assertGreaterEqual(m.value("npu:memory:peak_allocated_bytes", **d),
                                    truth["bytes_allocated"] / max(1, truth["allocs"]), where)
            self.check_durations(opts, report["wall_ns"] * 1e-9, truth, m, d, where)

    def check_durations(self, opts, wall_s, truth, m, d, where):
        """Every duration sum between a lower bound (what npu-sim made the device and the host
        spend) and an upper bound from npu-sim's own wall time. The upper bounds are structural,
        so they hold however slowly a loaded machine or a sanitizer build runs (the wall time
        grows with it), and a step cut one launch or one sync off breaks them:
        - synchronous steps: a step's forward [first launch, end of its wait] and the host time
          before the next one are disjoint intervals inside npu-sim's run, so per device
          forward + non_forward <= wall, and forward + the host gaps npu-sim itself measured
          (host_gap_ns, its sleeps between a wait and the next launches) <= wall. A cut that
          makes a forward span two steps' kernels (about 2x) or swallows the host gap goes
          over them.
        - asynchronous steps (npu-sim queues step N, then waits for step N-1): a forward
          [first launch of N, end of the wait for N] overlaps only its two neighbours, and only
          where they meet, so the forwards cover the run at most twice: forward <= 2 x wall
          (measured: 0.65..1.25 x wall). A cut one step late (each forward from the previous
          step's launches) doubles every forward and goes over it."""
        steps = opts["steps"]
        forward = m.value("npu:forward_duration_sum", **d)
        non_forward = m.value("npu:non_forward_duration_sum", **d)
        kernel_launch = m.value("npu:kernel_launch_sum", **d)
        sync_wait = m.value("npu:sync_wait_duration_sum", **d)
        launch_api = m.value("npu:launch_api_duration_sum", **d)
        device_s = truth["device_ns"] * 1e-9
        slack = steps * SLACK
        self.assertGreaterEqual(forward + slack, device_s, where)
        self.assertLessEqual(kernel_launch, forward + 1e-9, where)
        self.assertLessEqual(launch_api, kernel_launch + 1e-9, where)
        self.assertLessEqual(sync_wait, forward + 1e-9, where)
        self.assertGreater(sync_wait, 0, where)
        # npu-sim's own median step (bench/macro_bench.py's step time): one step's host wall
        # time, so inside the run, and at least the device time a step waits for.
        step_median_s = truth["step_ns_median"] * 1e-9
        self.assertLessEqual(step_median_s, wall_s, where)
        self.assertGreaterEqual(step_median_s + SLACK, truth["device_ns_per_step"] * 1e-9,
                                where)
        if opts["async_sched"]:
            self.assertEqual(non_forward, 0.0, f"overlapped steps: {where}")
            self.assertLessEqual(forward, 2 * wall_s + slack,
                                 f"forward {forward:.6f} s > 2 x wall {wall_s:.6f} s: {where}")
        else:
            self.assertGreaterEqual(non_forward + slack,
                                    (steps - 1) * truth["host_gap_ns_per_step"] * 1e-9, where)
            self.assertLessEqual(forward + non_forward, wall_s + slack,
                                 f"forward {forward:.6f} + non_forward {non_forward:.6f} s > "
                                 f"wall {wall_s:.6f} s: {where}")
            gaps = truth["host_gap_ns"] * 1e-9
            self.assertLessEqual(forward + gaps, wall_s + slack,
                                 f"forward {forward:.6f} + npu-sim's host gaps {gaps:.6f} s > "
                                 f"wall {wall_s:.6f} s: {where}")

    def run_and_check(self, args, extra_env=None):
        proc, report, m, _ = run_sim(args, extra_env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.check(args, report, m)
        return report, m


class PreloadGroundTruthTest(GroundTruthChecks, unittest.TestCase):

    def test_every_binding_taskqueue_graph_combination(self):
        for binding, task_queue, graph in itertools.product(
                ("linked", "dlsym", "opapi"), (False, True), (False, True)):
            # 40 steps: the run, not npu-sim's setup, makes most of the wall time the duration
            # bounds are taken from.
            args = ["--steps", "40", "--launches", "5", "--device-us", "200",
                    "--host-gap-us", "300", "--binding", binding] + (
                        ["--task-queue"] if task_queue else []) + (["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                self.run_and_check(args)

    def test_two_devices(self):
        for binding, task_queue in itertools.product(("linked", "dlsym", "opapi"), (False, True)):
            args = ["--steps", "5", "--launches", "4", "--device-us", "150", "--devices", "0,1",
                    "--binding", binding] + (["--task-queue"] if task_queue else [])
            with self.subTest(args=" ".join(args)):
                _, m = self.run_and_check(args)
                self.assertEqual(m.label_values("npu:steps_total", "device"), ["0", "1"])

    def test_async_scheduling_keeps_overlapping_steps_apart(self):
        for binding, task_queue, devices in itertools.product(
                ("linked", "dlsym", "opapi"), (False, True), ("0", "0,1")):
            args = ["--steps", "40", "--launches", "6", "--device-us", "300",
                    "--host-gap-us", "200", "--async-sched", "--binding", binding,
                    "--devices", devices] + (["--task-queue"] if task_queue else [])
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:launches_per_step_sum", device=dev),
                                     40 * (6 + 1), "each step: its launches and its output copy")

    def test_every_sync_kind_and_launch_api(self):
        for sync, api in itertools.product(("stream", "device", "event", "memcpy"),
                                           ("aclnn", "aclop", "kernel", "mixed")):
            args = ["--steps", "5", "--launches", "6", "--device-us", "100", "--sync", sync,
                    "--launch-api", api, "--binding", "opapi"]
            with self.subTest(args=" ".join(args)):
                self.run_and_check(args)

    def test_expandable_segments_are_accounted(self):
        args = ["--steps", "3", "--launches", "2", "--expandable", "--alloc-bytes", "5000000"]
        report, m = self.run_and_check(args)
        self.assertEqual(report["devices"]["0"]["allocs"], 2)
        self.assertEqual(m.value("npu:memory:peak_allocated_bytes", device="0"),
                         report["devices"]["0"]["bytes_allocated"])

    def test_op_label_breaks_aclnn_launches_down_by_op(self):
        args = ["--steps", "4", "--launches", "6", "--binding", "opapi", "--task-queue"]
        report, m = self.run_and_check(args, {"NPUPROBE_OP_LABEL": "1"})
        self.assertEqual(m.label_values("npu:op_launches_total", "op"),
                         ["aclnnAdd", "aclnnMatmul", "aclnnSilu"])
        for op in ("aclnnAdd", "aclnnMatmul", "aclnnSilu"):
            self.assertEqual(m.value("npu:op_launches_total", op=op), 4 * 2, op)
            self.assertEqual(m.value("npu:op_launch_latency_count", op=op), 4 * 2, op)
        # Off by default: no per-op series.
        _, m_default = self.run_and_check(args)
        self.assertEqual(m_default.label_values("npu:op_launches_total", "op"), [])

    def test_memory_pressure_counts_failed_allocations(self):
        args = ["--steps", "2", "--launches", "2", "--alloc-bytes", "50000000"]
        proc, report, m, _ = run_sim(args, {"NPU_MOCK_HBM_BYTES": "1000000"})
        self.assertEqual(report["devices"]["0"]["alloc_failures"], 1)
        self.check(args, report, m)
        self.assertEqual(report["devices"]["0"]["errors"], {"aclrtMallocAlign32": 1})
        self.assertEqual(m.value("npu:api_errors_total", api="aclrtMallocAlign32",
                                 code="207001"), 1)
        self.assertEqual(m.value("npu:api_errors_total"), 1)


if __name__ == "__main__":
    unittest.main()
