#!/usr/bin/python3
"""HCCL collectives under LD_PRELOAD=libnpuprobe.so: npu-sim runs N rank processes joined by
HcclCommInitRootInfo (mock libhccl) and makes all-reduces, MoE all-to-all-v dispatch and combine,
and every other collective each step, linked or through dlopen + dlsym(handle). What `npuprobe
dump` shows per (device, op, rank, size) must equal each rank's report exactly: calls, bytes,
launch latency counts. Failed calls are api errors, the application sees the real codes, and a
failing comm init stops nothing else.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_hccl
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from npuprobe_run import (CLI, FOREIGN_PRELOAD, FOREIGN_REASON, MOCK_LIB, NPU_SIM, PRELOAD,
                          SANITIZED, TIME_SCALE, dump, preload_env, start_sim, wait_for)

HOST_US = 300  # NPU_MOCK_HCCL_HOST_US of the step_hccl_duration test

OPS = ("allreduce", "allgather", "reduce_scatter", "broadcast", "reduce", "alltoall",
       "alltoallv", "scatter", "send", "receive", "batch_send_recv", "barrier")


def run_ranks(args, ranks, extra_env=None):
    """npu-sim --hccl-ranks under npuprobe: (process, [report of each rank], Samples)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "store")
        os.mkdir(folder)
        report = os.path.join(tmp, "report.json")
        proc = subprocess.run([NPU_SIM, "--report", report, "--hccl-ranks", str(ranks)] + args,
                              env=preload_env(folder, extra_env), capture_output=True, text=True,
                              timeout=300)
        reports = []
        for rank in range(ranks):
            path = report if rank == 0 else f"{report}.rank{rank}"
            if os.path.exists(path):
                with open(path) as f:
                    reports.append(json.load(f))
        return proc, reports, dump(folder)


class CollectivesMatchTheGroundTruth(unittest.TestCase):
    def check(self, reports, m, where):
        total_calls = 0
        for report in reports:
            for dev, truth in report["devices"].items():
                h = truth["hccl"]
                labels = {"device": dev, "rank": h["rank"], "size": h["size"]}
                self.assertEqual(sorted(h["calls"]), sorted(m.label_values("npu:hccl_calls_total", "op")),
                                 where)
                for op, n in h["calls"].items():
                    at = f"{op} rank {h['rank']}: {where}"
                    self.assertEqual(m.value("npu:hccl_calls_total", op=op, **labels), n, at)
                    self.assertEqual(m.value("npu:hccl_bytes_total", op=op, **labels),
                                     h["bytes"][op], at)
                    self.assertEqual(m.value("npu:hccl_launch_latency_count", op=op, **labels),
                                     n, at)
                    total_calls += n
                # Collectives are not kernel launches: the launch counts stay npu-sim's.
                self.assertEqual(m.value("npu:launches_total", device=dev),
                                 sum(truth["launches"].values()), where)
        self.assertEqual(m.value("npu:hccl_calls_total"), total_calls,
                         f"no collective counted that npu-sim did not make: {where}")

    def test_every_collective_linked_and_dlsym(self):
        for binding, init, ranks in (("linked", "plain", 2), ("dlsym", "plain", 4),
                                     ("dlsym", "config", 2), ("linked", "config", 4)):
            with self.subTest(binding=binding, init=init, ranks=ranks):
                args = ["--steps", "3", "--launches", "2", "--tp-allreduce", "2",
                        "--moe-layers", "3", "--hccl-every-op", "--hccl-tokens", "257",
                        "--hccl-binding", binding, "--hccl-init", init]
                proc, reports, m = run_ranks(args, ranks)
                where = f"{ranks} ranks, {binding}, {init}"
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(len(reports), ranks, where)
                for report in reports:
                    for truth in report["devices"].values():
                        self.assertEqual(sorted(truth["hccl"]["calls"]), sorted(OPS), where)
                        self.assertEqual(truth["hccl"]["calls"]["alltoallv"], 3 * 3 * 2, where)
                        self.assertEqual(truth["hccl"]["calls"]["allreduce"], 3 * 2, where)
                self.check(reports, m, where)
                self.assertEqual(sorted(m.label_values("npu:hccl_calls_total", "rank")),
                                 sorted(str(r) for r in range(ranks)), where)
                self.assertEqual(m.label_values("npu:hccl_calls_total", "size"), [str(ranks)])

    def test_moe_and_tp_only_on_eight_ranks(self):
        proc, reports, m = run_ranks(["--steps", "4", "--launches", "3", "--moe-layers", "2",
                                      "--tp-allreduce", "1"], 8)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(reports), 8)
        self.check(reports, m, "8 ranks")
        self.assertEqual(m.label_values("npu:hccl_calls_total", "op"), ["allreduce", "alltoallv"])

    def test_a_skipped_collective_is_forwarded_unmeasured(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write("hooks:\n  skip: [HcclAllReduce]\n")
            proc, reports, m = run_ranks(["--steps", "2", "--launches", "1", "--tp-allreduce", "2",
                                          "--moe-layers", "1"], 2, {"NPUPROBE_CONFIG": config})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(m.label_values("npu:hccl_calls_total", "op"), ["alltoallv"])
        for report in reports:
            for dev, truth in report["devices"].items():
                self.assertEqual(truth["hccl"]["calls"]["allreduce"], 4)
                self.assertEqual(m.value("npu:hccl_calls_total", device=dev, op="alltoallv"),
                                 truth["hccl"]["calls"]["alltoallv"])

    def test_step_hccl_duration_is_the_collectives_host_time_of_each_step(self):
        # Each step: 2 launches, 1 all-reduce, 2 MoE layers (dispatch + combine), the wait; every
        # collective spins NPU_MOCK_HCCL_HOST_US on the host before it is enqueued.
        steps, per_step = 6, 1 + 2 * 2
        proc, reports, m = run_ranks(["--steps", str(steps), "--launches", "2", "--moe-layers",
                                      "2", "--tp-allreduce", "1"], 2,
                                     {"NPU_MOCK_HCCL_HOST_US": str(HOST_US)})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(reports), 2)
        for report in reports:
            for dev, truth in report["devices"].items():
                h = truth["hccl"]
                calls = sum(h["calls"].values())
                self.assertEqual(calls, steps * per_step)
                # Collectives make no step of their own: one observation per closed step.
                self.assertEqual(m.value("npu:steps_total", device=dev), steps)
                self.assertEqual(m.value("npu:step_hccl_duration_count", device=dev), steps)
                total = m.value("npu:step_hccl_duration_sum", device=dev)
                # At least the mock's spin per call; at most what npu-sim measured around the
                # calls (npuprobe's clock reads are inside them).
                self.assertGreaterEqual(total, calls * HOST_US * 1e-6, dev)
                self.assertLessEqual(total, h["host_ns"] * 1e-9, dev)
                self.assertGreaterEqual(h["host_ns"], calls * HOST_US * 1000)
                # The same host time as the calls' own latency histogram.
                self.assertAlmostEqual(total, m.value("npu:hccl_launch_latency_sum",
                                                      device=dev), places=9)
                self.assertLessEqual(total, m.value("npu:forward_duration_sum", device=dev))
                self.assertEqual(m.value("npu:launch_api_duration_count", device=dev), steps)

    def test_failed_collective_is_an_error_and_the_real_code_reaches_the_caller(self):
        # The 2nd HcclAllReduce of every rank fails with HCCL_E_INTERNAL (4).
        proc, reports, m = run_ranks(["--steps", "2", "--launches", "1", "--tp-allreduce", "2",
                                      "--moe-layers", "1"], 2,
                                     {"NPU_MOCK_FAIL": "HcclAllReduce:2:4"})
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("HcclAllReduce failed with 4", proc.stderr)
        for report in reports:
            for truth in report["devices"].values():
                self.assertEqual(truth["errors"], {"HcclAllReduce": 1})
                self.assertEqual(truth["hccl"]["calls"]["allreduce"], 3)
        self.assertEqual(m.value("npu:api_errors_total", api="HcclAllReduce", code="4"), 2)
        self.check(reports, m, "one failed all-reduce per rank")

    def test_failing_comm_init_passes_through_and_stops_nothing_else(self):
        # HcclCommInitRootInfo fails with HCCL_E_TIMEOUT (9) in every rank.
        proc, reports, m = run_ranks(["--steps", "2", "--launches", "2", "--moe-layers", "1"], 2,
                                     {"NPU_MOCK_FAIL": "HcclCommInitRootInfo:1:9"})
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("HcclCommInitRootInfo failed with 9", proc.stderr)
        self.assertEqual(m.value("npu:api_errors_total", api="HcclCommInitRootInfo", code="9"), 2)
        self.assertTrue(m.absent("npu:hccl_calls_total"))
        # The other metrics still count: every rank's buffers were allocated and freed.
        for report in reports:
            for dev, truth in report["devices"].items():
                self.assertEqual(m.value("npu:memory:allocs_total", device=dev), truth["allocs"])
                self.assertEqual(m.value("npu:memory:frees_total", device=dev), truth["frees"])


# A program that dlopen's libhccl RTLD_LOCAL (ctypes), so it is only reachable through its handle:
# npuprobe's dlsym hands out a bound wrapper. One rank, one all-to-all-v, one null-comm call.
HANDLE_ONLY = r"""
import ctypes, sys
lib = sys.argv[1]
acl = ctypes.CDLL(lib + "/libascendcl.so")
hccl = ctypes.CDLL(lib + "/libhccl.so")
assert acl.aclInit(None) == 0 and acl.aclrtSetDevice(3) == 0
stream, buf, out, comm = (ctypes.c_void_p() for _ in range(4))
assert acl.aclrtCreateStream(ctypes.byref(stream)) == 0
assert acl.aclrtMalloc(ctypes.byref(buf), 1 << 16, 0) == 0
assert acl.aclrtMalloc(ctypes.byref(out), 1 << 16, 0) == 0
root = ctypes.create_string_buffer(4108)
assert hccl.HcclGetRootInfo(root) == 0
assert hccl.HcclCommInitRootInfo(1, root, 0, ctypes.byref(comm)) == 0
counts, displs = (ctypes.c_uint64 * 1)(300), (ctypes.c_uint64 * 1)(0)
assert hccl.HcclAlltoAllV(buf, counts, displs, 11, out, counts, displs, 11, comm, stream) == 0
# A null communicator: the caller gets HCCL_E_PTR (2) unchanged.
rc = hccl.HcclAllReduce(buf, out, ctypes.c_uint64(8), 4, 0, None, stream)
assert rc == 2, rc
assert acl.aclrtSynchronizeStream(stream) == 0
assert hccl.HcclCommDestroy(comm) == 0
print("ok")
"""


@unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
@unittest.skipIf(SANITIZED, "an instrumented preload cannot go into /usr/bin/python3")
class HandleOnlyLibrary(unittest.TestCase):
    def test_dlsym_handle_of_a_local_libhccl_is_measured(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            os.mkdir(folder)
            proc = subprocess.run([sys.executable, "-c", HANDLE_ONLY, MOCK_LIB],
                                  env=preload_env(folder), capture_output=True, text=True,
                                  timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout.strip(), "ok")
            m = dump(folder)
        labels = {"device": "3", "op": "alltoallv", "rank": "0", "size": "1"}
        self.assertEqual(m.value("npu:hccl_calls_total", **labels), 1)
        self.assertEqual(m.value("npu:hccl_bytes_total", **labels), 600)  # 300 x bfp16
        self.assertEqual(m.value("npu:hccl_calls_total"), 1)
        self.assertEqual(m.value("npu:api_errors_total", api="HcclAllReduce", code="2"), 1)
        # The all-to-all-v alone, then the synchronize: a step made of one collective.
        self.assertEqual(m.value("npu:steps_total", device="3"), 1)
        self.assertEqual(m.value("npu:step_hccl_duration_count", device="3"), 1)
        self.assertGreater(m.value("npu:step_hccl_duration_sum", device="3"), 0)
        self.assertEqual(m.value("npu:launches_per_step_sum", device="3"), 0)


MSPTI = os.path.join(MOCK_LIB, "libmspti.so")
LATENCY_US = 50  # NPU_MOCK_HCCL_LATENCY_US; NPU_MOCK_HCCL_GBPS=1: one byte per ns


class HcclDurationFromMspti(unittest.TestCase):
    """Task time mode 2 with libmspti.so in LD_PRELOAD: MSPTI's HCCL records (libmspti's own Hccl*
    interposers, device markers around each call) become npu:hccl_duration, one observation per
    collective but barriers, under the labels npu:hccl_calls has, whatever the preload order."""

    ARGS = ["--steps", "3", "--launches", "2", "--tp-allreduce", "2", "--moe-layers", "2",
            "--hccl-every-op", "--hccl-tokens", "257"]

    def run_mode2(self, preload, binding="linked", extra=None):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write("task_time:\n  mode: 2\n")
            env = {"NPUPROBE_CONFIG": config, "LD_PRELOAD": preload,
                   "NPU_MOCK_HCCL_GBPS": "1", "NPU_MOCK_HCCL_LATENCY_US": str(LATENCY_US)}
            env.update(extra or {})
            proc, reports, m = run_ranks(self.ARGS + ["--hccl-binding", binding], 2, env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(reports), 2)
        return proc, reports, m

    def check_durations(self, reports, m, where, host=None):
        """host: the host id of each user device (ASCEND_RT_VISIBLE_DEVICES), as labels show."""
        records = 0
        for report in reports:
            for dev, truth in report["devices"].items():
                h = truth["hccl"]
                labels = {"device": (host or {}).get(dev, dev), "rank": h["rank"],
                          "size": h["size"]}
                low = 0
                for op, n in h["calls"].items():
                    at = f"{op} rank {h['rank']}: {where}"
                    if op == "barrier":
                        self.assertTrue(m.absent("npu:hccl_duration_count", op=op), at)
                        continue
                    self.assertEqual(m.value("npu:hccl_duration_count", op=op, **labels), n, at)
                    self.assertEqual(m.value("npu:hccl_duration_count", op=op, **labels),
                                     m.value("npu:hccl_calls_total", op=op, **labels), at)
                    # The marks bracket the collective: at least its link time (latency + bytes
                    # at one byte per ns), never far more.
                    op_low = (n * LATENCY_US * 1000 + h["bytes"][op]) / 1e9
                    got = m.value("npu:hccl_duration_sum", op=op, **labels)
                    self.assertGreaterEqual(got, op_low * (1 - 1e-9), at)
                    self.assertLessEqual(got, op_low + n * 0.002 * TIME_SCALE, at)
                    low += op_low
                    records += n
                barriers = h["calls"].get("barrier", 0)
                total = m.value("npu:hccl_duration_sum", **labels)
                # npu-sim's ground truth: every collective's device time, barriers included.
                self.assertAlmostEqual(low, (h["device_ns"] - barriers * LATENCY_US * 1000) / 1e9,
                                       delta=1e-9)
                self.assertGreaterEqual(total, low * (1 - 1e-9), where)
        self.assertEqual(m.value("npu:hccl_duration_count"), records, where)
        self.assertEqual(m.label_values("npu:hccl_duration_count", "device"),
                         m.label_values("npu:hccl_calls_total", "device"), where)
        self.assertEqual(m.value("npuprobe:dropped_total", reason="hccl_op"), 0)
        self.assertEqual(m.value("npuprobe:dropped_total", reason="mspti_time_base"), 0)
        return records

    def test_both_preload_orders_give_the_same_exact_counts(self):
        counts = {}
        for name, preload in (("npuprobe first", PRELOAD + " " + MSPTI),
                              ("libmspti first", MSPTI + " " + PRELOAD)):
            with self.subTest(name):
                proc, reports, m = self.run_mode2(preload)
                CollectivesMatchTheGroundTruth.check(self, reports, m, name)
                counts[name] = self.check_durations(reports, m, name)
                self.assertGreater(m.value("npu:kernels_total"), 0, name)
                self.assertNotIn("msptiActivityEnable(HCCL)", proc.stderr)
        self.assertEqual(len(set(counts.values())), 1, counts)

    def test_visible_devices_give_the_same_device_labels(self):
        # Rank r sets its device r: the host's 4 and 6. MSPTI names the driver's id, npuprobe
        # maps it like a kernel record's, so both families show the host's.
        proc, reports, m = self.run_mode2(PRELOAD + " " + MSPTI,
                                          extra={"ASCEND_RT_VISIBLE_DEVICES": "4,6"})
        self.check_durations(reports, m, "visible 4,6", host={"0": "4", "1": "6"})
        self.assertEqual(m.label_values("npu:hccl_duration_count", "device"), ["4", "6"])

    def test_torch_npu_dlsym_binding_skips_mspti(self):
        # dlsym(handle of libhccl) searches libhccl and its dependencies, never LD_PRELOAD: the
        # collectives torch_npu binds that way never pass through libmspti's interposers, so MSPTI
        # makes no HCCL record of them; npuprobe still counts every call exactly once.
        for preload in (PRELOAD + " " + MSPTI, MSPTI + " " + PRELOAD):
            with self.subTest(preload=preload):
                proc, reports, m = self.run_mode2(preload, binding="dlsym")
                CollectivesMatchTheGroundTruth.check(self, reports, m, "dlsym " + preload)
                self.assertTrue(m.absent("npu:hccl_duration_count"))

    def test_without_libmspti_in_ld_preload_the_hccl_kind_is_refused_once(self):
        # The application dlopens libmspti.so itself: kernel records arrive, MSPTI refuses the
        # HCCL kind (MSPTI_ERROR_WITHOUT_LD_PRELOAD), npuprobe says so once per process.
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write("task_time:\n  mode: 2\n")
            env = {"NPUPROBE_CONFIG": config, "LD_LIBRARY_PATH": MOCK_LIB}
            proc, reports, m = run_ranks(self.ARGS + ["--dlopen-mspti", "0"], 2, env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        said = [l for l in proc.stderr.splitlines() if "msptiActivityEnable(HCCL) returned 6" in l]
        self.assertEqual(len(said), 2, proc.stderr)  # one per rank process
        self.assertIn("npuprobe", said[0])
        self.assertIn("WITHOUT_LD_PRELOAD", said[0])
        self.assertTrue(m.absent("npu:hccl_duration_count"))
        CollectivesMatchTheGroundTruth.check(self, reports, m, "HCCL kind refused")
        for report in reports:
            for dev, truth in report["devices"].items():
                self.assertEqual(m.value("npu:kernels_total", device=dev),
                                 sum(truth["launches"].values()), dev)
        self.assertTrue(m.has("npuprobe:task_time_active", mode="mspti",
                              reason="hccl_without_ld_preload"))

    def test_the_refusal_shows_in_status_and_check_while_kernels_are_collected(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            os.mkdir(folder)
            config = os.path.join(tmp, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write("task_time:\n  mode: 2\n")
            env = {"NPUPROBE_CONFIG": config, "LD_LIBRARY_PATH": MOCK_LIB}
            sim = start_sim(["--steps", "100000000", "--launches", "2", "--hccl-ranks", "1",
                             "--tp-allreduce", "1", "--dlopen-mspti", "0"], folder, env)
            try:
                s = wait_for(folder, lambda s: s.has("npuprobe:task_time_active", mode="mspti",
                                                     reason="hccl_without_ld_preload")
                             and s.has("npu:kernels_total"))
                # Kernel records go on: the gauge stays 1, with the reason.
                self.assertEqual(s.value("npuprobe:task_time_active", mode="mspti",
                                         reason="hccl_without_ld_preload"), 1)
                self.assertEqual(s.value("npuprobe:task_time_active", mode="mspti"), 1)
                self.assertGreater(s.value("npu:kernels_total"), 0)
                self.assertTrue(s.absent("npu:hccl_duration_count"))
                cli_env = preload_env(None, env, preload=False)
                expected = "mspti on, refused: hccl_without_ld_preload"
                deadline = time.monotonic() + 5 * TIME_SCALE
                while True:
                    out = subprocess.run([CLI, "status", "--json"], env=cli_env,
                                         capture_output=True, text=True, timeout=60).stdout
                    mine = [p["task_time"] for p in json.loads(out)["processes"]
                            if p["pid"] == sim.pid]
                    if mine == [expected] or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                self.assertEqual(mine, [expected])
                check = subprocess.run([CLI, "check"], env=cli_env, capture_output=True,
                                       text=True, timeout=60).stdout
                self.assertIn(f"warn  task time: process {sim.pid}: MSPTI refused its HCCL "
                              "records (no npu:hccl_duration), kernel records go on: "
                              "hccl_without_ld_preload", check)
                self.assertIsNone(sim.poll(), "the application still runs")
            finally:
                sim.kill()
                _, stderr = sim.communicate(timeout=60)
        self.assertEqual(stderr.count("msptiActivityEnable(HCCL) returned 6"), 1, stderr)

    def test_counter_ticks_are_not_timed(self):
        # MSPTI without the device's counter frequency: HCCL records in ticks, like kernel
        # records; npuprobe observes no duration and counts each as mspti_time_base.
        proc, reports, m = self.run_mode2(PRELOAD + " " + MSPTI,
                                          extra={"NPU_MOCK_MSPTI_TIME": "ticks"})
        self.assertTrue(m.absent("npu:hccl_duration_count"))
        collectives = m.value("npu:hccl_calls_total") - m.value("npu:hccl_calls_total",
                                                                op="barrier")
        self.assertEqual(collectives, 90)
        self.assertEqual(m.value("npuprobe:dropped_total", reason="mspti_time_base"),
                         m.value("npu:kernels_total") + collectives)


# One process, two communicators from HcclCommInitAll (rank i on device i), collectives called
# through the global scope (dlopen(NULL) + dlsym: the preloads come first, as for a linked call).
INIT_ALL = r"""
import ctypes, sys
lib = sys.argv[1]
acl = ctypes.CDLL(lib + "/libascendcl.so", mode=ctypes.RTLD_GLOBAL)
ctypes.CDLL(lib + "/libhccl.so", mode=ctypes.RTLD_GLOBAL)
g = ctypes.CDLL(None)
assert acl.aclInit(None) == 0 and acl.aclrtSetDevice(0) == 0
comms = (ctypes.c_void_p * 2)()
devices = (ctypes.c_int32 * 2)(0, 1)
assert g.HcclCommInitAll(2, devices, comms) == 0
for rank in (0, 1):
    assert acl.aclrtSetDevice(rank) == 0
    stream, buf, out = (ctypes.c_void_p() for _ in range(3))
    assert acl.aclrtCreateStream(ctypes.byref(stream)) == 0
    assert acl.aclrtMalloc(ctypes.byref(buf), 4096, 0) == 0
    assert acl.aclrtMalloc(ctypes.byref(out), 4096, 0) == 0
    for _ in range(rank + 2):
        assert g.HcclAllReduce(buf, out, ctypes.c_uint64(256), 4, 0,
                               ctypes.c_void_p(comms[rank]), stream) == 0
    assert g.HcclBarrier(ctypes.c_void_p(comms[rank]), stream) == 0
    assert acl.aclrtSynchronizeStream(stream) == 0
print("ok")
"""


@unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
@unittest.skipIf(SANITIZED, "an instrumented preload cannot go into /usr/bin/python3")
class CommInitAll(unittest.TestCase):
    def test_each_communicator_is_rank_i_on_device_i(self):
        for preload in (PRELOAD + " " + MSPTI, MSPTI + " " + PRELOAD):
            with self.subTest(preload=preload):
                self.check_init_all(preload)

    def check_init_all(self, preload):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            os.mkdir(folder)
            config = os.path.join(tmp, "npuprobe.yaml")
            with open(config, "w") as f:
                f.write("task_time:\n  mode: 2\n")
            env = preload_env(folder, {"NPUPROBE_CONFIG": config, "LD_PRELOAD": preload})
            proc = subprocess.run([sys.executable, "-c", INIT_ALL, MOCK_LIB], env=env,
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout.strip(), "ok")
            m = dump(folder)
        for rank in (0, 1):
            labels = {"device": str(rank), "rank": str(rank), "size": "2", "op": "allreduce"}
            self.assertEqual(m.value("npu:hccl_calls_total", **labels), rank + 2)
            self.assertEqual(m.value("npu:hccl_bytes_total", **labels), (rank + 2) * 1024)
            self.assertEqual(m.value("npu:hccl_duration_count", **labels), rank + 2)
            self.assertEqual(m.value("npu:hccl_calls_total", device=str(rank), rank=str(rank),
                                     size="2", op="barrier"), 1)
        self.assertEqual(m.value("npu:hccl_calls_total"), 7)
        self.assertEqual(m.value("npu:hccl_duration_count"), 5)

if __name__ == "__main__":
    unittest.main()
