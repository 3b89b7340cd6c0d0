#!/usr/bin/python3
"""The paths the real Ascend stack takes that npuprobe did not see before (docs/ascend-stack.md),
each against npu-sim's ground truth with exact counts, on two devices, with and without the task
queue and graph mode: op-plugin 26's per-op dlsym, TASK_QUEUE_ENABLE=2, threads bound by
context, torch_npu's format-cast lookups, graph task-group updates, conditional and batch copies,
waits with a timeout, synchronous graph replay, the ...WithCfg allocations, launches below ACL,
and the open-sourced runtime's library layout (libacl_rt.so under a compat libascendcl.so).

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_real_stack_paths
"""
import itertools
import os
import unittest

from npuprobe_run import BUILD, run_sim
from test_preload_vs_ground_truth import GroundTruthChecks

SPLIT_LIB = os.path.join(BUILD, "mock", "lib-split")
BASE = ["--steps", "5", "--launches", "4", "--device-us", "150", "--host-gap-us", "200",
        "--devices", "0,1"]


def queue_args(level):
    return [] if level == 0 else ["--task-queue-level", str(level)]


class RealStackPathsTest(GroundTruthChecks, unittest.TestCase):
    def run_and_check(self, args, extra_env=None, same_output_as_bare=False):
        report, m = super().run_and_check(args, extra_env)
        for dev, truth in report["devices"].items():
            where = f"device {dev}: {' '.join(args)}"
            self.assertEqual(truth["errors"], {}, where)
            self.assertTrue(m.absent("npu:api_errors_total", device=dev), where)
        self.assertEqual(m.label_values("npu:steps_total", "device"),
                         sorted(report["devices"]), "every device labelled right")
        if same_output_as_bare:
            bare, _, _, _ = run_sim(args, extra_env, preload=False)
            probed, _, _, _ = run_sim(args, extra_env)
            self.assertEqual(probed.stdout, bare.stdout, " ".join(args))
        return report, m

    def test_per_op_dlsym_binding(self):
        for level, graph in itertools.product((0, 1, 2), (False, True)):
            args = BASE + ["--binding", "opapi-per-op"] + queue_args(level) + (
                ["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev, truth in report["devices"].items():
                    self.assertGreater(truth["opapi_lookups"], 0)
                    if not graph:
                        self.assertEqual(m.value("npu:launches_total", api="aclnn", device=dev),
                                         5 * 4, "every per-op lookup's second stage, once")

    def test_first_stage_on_the_queue_thread(self):
        for binding in ("linked", "opapi", "opapi-per-op"):
            args = BASE + ["--binding", binding, "--task-queue-level", "2"]
            with self.subTest(args=" ".join(args)):
                report, _ = self.run_and_check(args)
                for truth in report["devices"].values():
                    self.assertEqual(truth["first_stages"], {"queue": 5 * 4})

    def test_threads_bound_by_context_carry_their_device(self):
        for binding, level in itertools.product(("linked", "dlsym", "opapi"), (0, 1, 2)):
            args = BASE + ["--binding", binding, "--bind-context"] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev, truth in report["devices"].items():
                    self.assertGreater(truth["context_binds"], 0)
                    self.assertEqual(m.value("npu:launches_total", device=dev), 5 * 4)

    def test_format_cast_lookups_are_never_changed(self):
        for binding, level in itertools.product(("linked", "dlsym", "opapi", "opapi-per-op"),
                                                (0, 1)):
            args = BASE + ["--binding", binding, "--format-cast"] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, _ = self.run_and_check(args, same_output_as_bare=True)
                for truth in report["devices"].values():
                    self.assertEqual(truth["format_casts"], 5)

    def test_graph_task_group_updates_are_neither_eager_nor_captured(self):
        for api, level in itertools.product(("aclnn", "kernel", "rt"), (0, 1)):
            args = BASE + ["--graph", "--graph-update", "--launch-api", api,
                           "--binding", "opapi"] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:launches_total", api="graph_update",
                                             device=dev), 5)
                    self.assertEqual(m.value("npu:launches_per_step_sum", device=dev), 5,
                                     "one graph replay per step, nothing else")

    def test_copies_and_waits_of_the_real_stack(self):
        for sync, level in itertools.product(
                ("conditional", "batch", "event-timeout", "stream-timeout"), (0, 1)):
            args = BASE + ["--sync", sync, "--binding", "opapi"] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                api = {"conditional": "memcpy", "batch": "memcpy", "event-timeout": "event",
                       "stream-timeout": "stream"}[sync]
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:syncs_total", api=api, device=dev), 5)
                    self.assertEqual(m.value("npu:syncs_total", device=dev), 5)
        for copy, level in itertools.product(("conditional", "batch"), (0, 1)):
            args = BASE + ["--step-copy", copy] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:launches_total", api="memcpy_async",
                                             device=dev), 5, "a pinned copy does not wait")
                    self.assertEqual(m.value("npu:syncs_total", api="memcpy", device=dev), 0)

    def test_synchronous_graph_replay(self):
        for level in (0, 1):
            args = BASE + ["--graph", "--sync", "graph"] + queue_args(level)
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:syncs_total", api="graph", device=dev), 5)
                    self.assertEqual(m.value("npu:launches_total", api="graph", device=dev), 5)

    def test_allocations_with_a_config(self):
        for binding in ("linked", "dlsym"):
            args = BASE + ["--alloc-cfg", "--alloc-bytes", "1000000", "--binding", binding]
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                for dev, truth in report["devices"].items():
                    self.assertEqual(m.value("npu:memory:allocs_total", device=dev), 2)
                    self.assertEqual(m.value("npu:memory:peak_allocated_bytes", device=dev),
                                     truth["bytes_allocated"])
                    self.assertEqual(m.value("npu:memory:host_pinned_bytes", device=dev), 0,
                                     "the pinned buffer is freed again")

    def test_launches_below_acl_count_once_with_their_own_label(self):
        for api, level, graph in itertools.product(("rt", "aicpu"), (0, 1), (False, True)):
            if api == "aicpu" and graph:
                continue  # an AI-CPU task cannot be captured into a graph (npu-sim says so)
            args = BASE + ["--launch-api", api] + queue_args(level) + (
                ["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                report, m = self.run_and_check(args)
                label = {"rt": "rt_kernel", "aicpu": "aicpu"}[api]
                for dev in report["devices"]:
                    self.assertEqual(m.value("npu:launches_total", api=label, device=dev),
                                     0 if graph else 5 * 4)

    def test_the_open_sourced_runtime_layout(self):
        env = {"LD_LIBRARY_PATH": SPLIT_LIB}
        for binding, level, graph in itertools.product(
                ("linked", "dlsym", "opapi", "opapi-per-op"), (0, 1), (False, True)):
            args = BASE + ["--binding", binding] + queue_args(level) + (
                ["--graph"] if graph else [])
            with self.subTest(args=" ".join(args)):
                self.run_and_check(args, env)


if __name__ == "__main__":
    unittest.main()
