#!/usr/bin/python3
"""Task-time modes (msserviceprofiler's acl_task_time) against npu-sim's ground truth.

Mode 2 (MSPTI): npuprobe subscribes, lends MSPTI buffers and turns kernel records into
npu:kernels_total / npu:kernel_exec_duration / npu:device_busy_total; the counts must equal the
kernels the simulated device executed, in every binding. Mode 1 (aclprof): the fake CANN logs
every aclprof call to <prof_dir>/npumock_aclprof_<pid>.log, which must show msserviceprofiler's
sequence. Both stop on the switch, a time limit, and at exit; bad input turns them off with a
clear message and the application unaffected.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_task_time
"""
import glob
import json
import os
import subprocess
import tempfile
import time
import unittest

from npuprobe_run import (BUILD, CLI, MOCK_LIB, PRELOAD, dump, preload_env, run_sim, start_sim,
                          wait_for, TIME_SCALE)
from test_runtime_switch import ConfigFileCase

MSPTI = os.path.join(MOCK_LIB, "libmspti.so")
# dlopen("libmspti.so") by name, as a framework does, finds it where CANN's set_env.sh puts it:
# on LD_LIBRARY_PATH. (npu-sim's own RUNPATH would do in a plain build, but in an ASan build the
# runtime's dlopen interceptor is the caller, and its RUNPATH is not npu-sim's.)
MSPTI_PATH = ":".join(p for p in (MOCK_LIB, os.environ.get("LD_LIBRARY_PATH")) if p)
WITH_MSPTI = PRELOAD + " " + MSPTI
# Real MSPTI hands a buffer back once it is 80% full, before the next record (Ascend/mspti
# ActivityManager::Record): a 2 MiB buffer of npuprobe's holds this many 56-byte kernel records.
RECORDS_PER_BUFFER = 29960
assert RECORDS_PER_BUFFER * 56 >= 0.8 * (2 << 20) > (RECORDS_PER_BUFFER - 1) * 56
# What real MSPTI (and the fake one, on stderr) says for every activity buffer under 2 MiB.
SMALL_BUFFER = "Please malloc the Activity Buffer more than 2MB"
# What the fake libmspti says at exit when its queue (the device's records before MSPTI reads
# them) overflowed: a loss MSPTI does not have and npuprobe cannot see.
QUEUE_LOSS = "activity records lost before MSPTI"


# STEPS x LAUNCHES kernels on device 0, then aclFinalize and _exit (no aclrtResetDevice, no
# atexit), as a Python multiprocessing worker ends (tests/e2e/helpers/lifecycle_driver.c).
DRIVER = os.path.join(BUILD, "tests", "bin", "lifecycle_driver")


class TaskTimeCase(ConfigFileCase):
    def env(self, **extra):
        return dict({"NPUPROBE_CONFIG": self.yaml, "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix,
                     "NPUPROBE_REGISTRY_DIR": os.path.join(self.tmp.name, "registry"),
                     "LD_PRELOAD": WITH_MSPTI}, **extra)

    def run_sim(self, args, **extra):
        proc, report, samples, _ = run_sim(args, self.env(**extra))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn(QUEUE_LOSS, proc.stderr)
        return proc, report, samples

    def cli(self, *args, **extra):
        return subprocess.run([CLI, *args], env=dict(os.environ, **self.env(**extra)),
                              capture_output=True, text=True, timeout=30)

    def start(self, args, **extra):
        # A folder per process: a killed process's gauges would stay in a shared one.
        folder = tempfile.mkdtemp(prefix="store-", dir=self.tmp.name)
        return folder, start_sim(["--steps", "1000000", "--host-gap-us", "2000"] + args, folder,
                                 self.env(**extra))

    def switch(self, command):
        subprocess.run([CLI, command], env=dict(os.environ, **self.env()), check=True,
                       capture_output=True, timeout=30)

    @staticmethod
    def stop(sim):
        sim.kill()
        return sim.communicate(timeout=30)[1]


class MsptiTest(TaskTimeCase):
    def assert_matches_device(self, report, s, host_ids=None):
        # host_ids: npu-sim's (user) device -> the host NPU id the labels carry, under
        # ASCEND_RT_VISIBLE_DEVICES (docs/contract.md, `device`).
        for user_device, truth in report["devices"].items():
            device = (host_ids or {}).get(user_device, user_device)
            self.assertEqual(s.value("npu:kernels_total", device=device), truth["kernels"], s.text)
            self.assertEqual(s.value("npu:kernel_exec_duration_count", device=device),
                             truth["kernels"])
            busy = s.value("npu:device_busy_total", device=device)
            self.assertAlmostEqual(busy, truth["device_ns"] / 1e9, delta=truth["device_ns"] / 1e11)

    def test_kernels_and_busy_time_equal_the_device_in_every_binding(self):
        self.write_yaml("task_time:\n  mode: 2\n")
        for args in (["--binding", "linked", "--devices", "0,1"],
                     ["--binding", "dlsym", "--task-queue"],
                     ["--binding", "opapi", "--launch-api", "mixed"],
                     ["--graph", "--device-us", "7"]):
            with self.subTest(args=args):
                proc, report, s = self.run_sim(["--steps", "40", "--launches", "30"] + args)
                self.assert_matches_device(report, s)
                self.assertNotIn(SMALL_BUFFER, proc.stderr, "npuprobe lends 2 MiB buffers")
                self.assertEqual(s.label_values("npu:kernels_total", "type"), ["KERNEL_AICORE"])
                self.assertEqual(s.value("npuprobe:dropped_total", reason="mspti_buffer"), 0)
                self.assertEqual(s.value("npuprobe:task_time_active", mode="mspti"), 0,
                                 "collection ended with the process")

    def test_mspti_is_found_however_it_is_loaded(self):
        # Before npuprobe in LD_PRELOAD (RTLD_NEXT from npuprobe cannot see it), dlopen'ed
        # RTLD_LOCAL by the application before its first device, or after npuprobe: every
        # kernel is counted, and npuprobe never lends a buffer MSPTI warns about.
        self.write_yaml("task_time:\n  mode: 2\n")
        for name, args, extra in (
                ("before npuprobe", [], {"LD_PRELOAD": MSPTI + " " + PRELOAD}),
                ("after npuprobe", [], {"LD_PRELOAD": WITH_MSPTI}),
                ("dlopen'ed", ["--dlopen-mspti", "0"], {"LD_PRELOAD": PRELOAD,
                                                        "LD_LIBRARY_PATH": MSPTI_PATH})):
            with self.subTest(name):
                proc, report, s = self.run_sim(["--steps", "30", "--launches", "20", "--devices",
                                                "0,1"] + args, **extra)
                self.assertEqual(report["devices"]["0"]["kernels"], 600)
                self.assert_matches_device(report, s)
                self.assertNotIn(SMALL_BUFFER, proc.stderr)
                self.assertNotIn("MSPTI) waits", proc.stderr)
                self.assertEqual(s.value("npuprobe:dropped_total", reason="mspti_buffer"), 0)

    def test_mspti_dlopened_while_the_application_runs_is_found_at_a_later_flush(self):
        # Loaded on device 0's thread before step 100 of 300 (2 ms apart): npuprobe said it
        # waits, finds it at a flush after that, and counts kernels from then on only.
        self.write_yaml("task_time:\n  mode: 2\n")
        proc, report, s = self.run_sim(["--steps", "300", "--launches", "5", "--host-gap-us",
                                        "2000", "--dlopen-mspti", "100"], LD_PRELOAD=PRELOAD,
                                       NPUPROBE_FLUSH_MS="100", LD_LIBRARY_PATH=MSPTI_PATH)
        self.assertIn("npu-sim: dlopen(libmspti.so) loaded", proc.stderr)
        self.assertEqual(proc.stderr.count("task time mode 2 (MSPTI) waits"), 1, proc.stderr)
        self.assertIn("task time mode 2 (MSPTI): libmspti.so found", proc.stderr)
        kernels = s.value("npu:kernels_total", device="0")
        self.assertGreater(kernels, 0, proc.stderr)
        self.assertLessEqual(kernels, 200 * 5, "nothing before the dlopen")
        self.assertEqual(s.value("npu:kernel_exec_duration_count", device="0"), kernels)

    def test_records_in_counter_ticks_are_counted_not_timed(self):
        # MSPTI without the device's counter frequency writes raw ticks (Ascend/mspti
        # context_manager.cpp): their unit is unknown, so no duration is published from them.
        self.write_yaml("task_time:\n  mode: 2\n")
        proc, report, s = self.run_sim(["--steps", "20", "--launches", "10"],
                                       NPU_MOCK_MSPTI_TIME="ticks")
        self.assertEqual(s.value("npu:kernels_total", device="0"), 200)
        self.assertEqual(s.value("npu:kernel_exec_duration_count", device="0"), 0)
        self.assertEqual(s.value("npu:device_busy_total", device="0"), 0)
        self.assertEqual(s.value("npuprobe:dropped_total", reason="mspti_time_base"), 200)
        self.assertEqual(proc.stderr.count('npuprobe:dropped{reason="mspti_time_base"}'), 1)

    def test_kernel_devices_match_launch_devices_under_visible_devices(self):
        # Records carry the driver's device (ASCEND_RT_VISIBLE_DEVICES=3,6: user 0 is 3, 1 is
        # 6); the kernel metrics carry the same host NPU ids as the launch metrics.
        self.write_yaml("task_time:\n  mode: 2\n")
        _, report, s = self.run_sim(["--steps", "10", "--launches", "7", "--devices", "0,1"],
                                    ASCEND_RT_VISIBLE_DEVICES="3,6")
        self.assertEqual(s.label_values("npu:kernels_total", "device"), ["3", "6"])
        self.assertEqual(s.label_values("npu:launches_total", "device"), ["3", "6"])
        self.assert_matches_device(report, s, host_ids={"0": "3", "1": "6"})

    def test_the_json_config_switches_mode_2_on(self):
        profiler = os.path.join(self.tmp.name, "ms_service_profiler_config.json")
        with open(profiler, "w") as f:
            json.dump({"enable": 1, "acl_task_time": 2}, f)
        _, report, s = self.run_sim(["--steps", "10", "--launches", "9"], NPUPROBE_CONFIG="",
                                    SERVICE_PROF_CONFIG_PATH=profiler)
        self.assert_matches_device(report, s)

    def test_kernel_filter_keeps_matching_names_only(self):
        # npu-sim's aclnn launches cycle MatMulV2, Add, Swish: two thirds match.
        self.write_yaml("task_time:\n  mode: 2\n  kernel_filter: 'MatMul;Swish'\n")
        _, report, s = self.run_sim(["--steps", "20", "--launches", "30"])
        self.assertEqual(report["devices"]["0"]["kernels"], 600)
        self.assertEqual(s.value("npu:kernels_total"), 400)
        self.assertAlmostEqual(s.value("npu:device_busy_total"), 400 * 20e-6, delta=1e-7)
        self.write_yaml("task_time:\n  mode: 2\n  kernel_filter: NoSuchKernel\n")
        _, _, s = self.run_sim(["--steps", "20", "--launches", "30"])
        self.assertTrue(s.absent("npu:kernels_total"), "no kernel passed the filter")
        self.assertEqual(s.value("npu:steps_total"), 20)

    def test_api_filter_collects_matching_api_records(self):
        self.write_yaml("task_time:\n  mode: 2\n  api_filter: SynchronizeStream\n")
        _, report, s = self.run_sim(["--steps", "25", "--launches", "6"])
        self.assertEqual(s.value("npu:api_exec_duration_count", api="aclrtSynchronizeStream",
                                 device="-1"), report["devices"]["0"]["syncs"]["stream"])
        self.assertEqual(s.label_values("npu:api_exec_duration_count", "api"),
                         ["aclrtSynchronizeStream"])
        self.assert_matches_device(report, s)
        # Without api_filter, no API records are collected at all.
        self.write_yaml("task_time:\n  mode: 2\n")
        _, _, s = self.run_sim(["--steps", "5", "--launches", "6"])
        self.assertNotIn("api_exec_duration", s.text)

    def test_a_burst_beyond_the_pool_is_counted_and_never_blocks(self):
        # One 2 MiB buffer (RECORDS_PER_BUFFER kernel records) and a flush every 3 s: MSPTI
        # finds no buffer for most of the burst. Real MSPTI asks again for every record while
        # the answer is "no buffer" (ActivityManager::Record), so each refused request is one
        # lost record. Every kernel is either counted or dropped, none twice.
        self.write_yaml("task_time:\n  mode: 2\n  mspti_buffers: 1\n")
        proc, report, s = self.run_sim(["--steps", "300", "--launches", "200", "--device-us", "1",
                                        "--host-gap-us", "0"], NPUPROBE_FLUSH_MS="3000")
        executed = report["devices"]["0"]["kernels"]
        dropped = s.value("npuprobe:dropped_total", reason="mspti_buffer")
        self.assertGreater(dropped, 0, s.text)
        self.assertEqual(s.value("npu:kernels_total") + dropped, executed)
        self.assertGreaterEqual(s.value("npu:kernels_total"), RECORDS_PER_BUFFER)
        self.assertEqual(s.value("npu:steps_total"), report["devices"]["0"]["steps"])

    def test_timelimit_stops_collection(self):
        # Bounds, not instants: whenever the limit passes, the gauge drops and counts freeze.
        self.write_yaml("task_time:\n  mode: 2\n  timelimit_s: 1\n")
        folder, sim = self.start(["--launches", "4"])
        try:
            wait_for(folder, lambda s: s.value("npu:kernels_total") > 0)
            wait_for(folder, lambda s: s.value("npuprobe:task_time_active", mode="mspti") == 0)
            first = dump(folder)
            time.sleep(0.6)
            second = dump(folder)
        finally:
            stderr = self.stop(sim)
        self.assertGreater(second.value("npu:steps_total"), first.value("npu:steps_total"))
        self.assertEqual(second.value("npu:kernels_total"), first.value("npu:kernels_total"))
        self.assertEqual(second.value("npuprobe:task_time_active", mode="mspti"), 0)
        self.assertIn("task_time.timelimit_s=1 reached: MSPTI collection stopped", stderr)

    def test_off_pauses_and_on_resumes_without_subscribing_again(self):
        # OFF disables the kinds and keeps the subscription (msptiUnsubscribe would stop the
        # device's profiling): a second msptiSubscribe would fail here, so ON must not need one.
        self.write_yaml("task_time:\n  mode: 2\n")
        folder, sim = self.start(["--launches", "4"], NPU_MOCK_FAIL="msptiSubscribe:2+:2")
        try:
            wait_for(folder, lambda s: s.value("npu:kernels_total") > 0)
            self.switch("off")
            # Bounds, not instants: the publisher sees OFF at a flush, and the records finished
            # before it arrive with the kinds' disable; after that the count must stand still.
            wait_for(folder, lambda s: s.value("npuprobe:task_time_active", mode="mspti") == 0)
            deadline = time.monotonic() + 15 * TIME_SCALE
            off = dump(folder)
            while True:
                time.sleep(0.5)
                still_off = dump(folder)
                if (still_off.value("npu:kernels_total") == off.value("npu:kernels_total") or
                        time.monotonic() > deadline):
                    break
                off = still_off
            self.switch("on")
            on = wait_for(folder, lambda s: s.value("npu:kernels_total") >
                          still_off.value("npu:kernels_total") and
                          s.value("npuprobe:task_time_active", mode="mspti") == 1)
        finally:
            stderr = self.stop(sim)
        self.assertNotIn("msptiSubscribe returned", stderr)
        self.assertEqual(off.value("npu:kernels_total"), still_off.value("npu:kernels_total"))
        self.assertEqual(still_off.value("npuprobe:task_time_active", mode="mspti"), 0)
        self.assertGreater(on.value("npu:kernels_total"), still_off.value("npu:kernels_total"))
        self.assertEqual(on.value("npuprobe:task_time_active", mode="mspti"), 1)

    def test_mspti_failures_are_said_and_the_application_is_unaffected(self):
        self.write_yaml("task_time:\n  mode: 2\n")
        cases = [
            ({"LD_PRELOAD": PRELOAD}, "libmspti.so is not loaded: put it in LD_PRELOAD, or have "
                                      "the application dlopen it"),
            ({"NPU_MOCK_FAIL": "msptiSubscribe:1:2"}, "msptiSubscribe returned 2 "
                                                     "(MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)"),
            ({"NPU_MOCK_FAIL": "msptiActivityEnable:1:999"}, "returned 999 (INNER)"),
            ({"NPU_MOCK_FAIL": "msptiActivityRegisterCallbacks:1:1"}, "(INVALID_PARAMETER)"),
        ]
        for extra, message in cases:
            with self.subTest(extra=extra):
                proc, report, s = self.run_sim(["--steps", "20", "--launches", "5"], **extra)
                self.assertIn(message, proc.stderr)
                self.assertRegex(proc.stderr, r"task time \(acl_task_time=2\) off|task time mode 2 "
                                 r"\(MSPTI\) waits")
                self.assertTrue(s.absent("npu:kernels_total"), "task time is off")
                self.assertEqual(s.value("npu:steps_total"), report["devices"]["0"]["steps"])
                self.assertEqual(s.value("npu:launches_total"), 100)

    def test_a_failing_flush_is_said_once_and_records_still_arrive(self):
        self.write_yaml("task_time:\n  mode: 2\n")
        proc, report, s = self.run_sim(["--steps", "400", "--launches", "100"],
                                       NPU_MOCK_FAIL="msptiActivityFlushAll:1+:999")
        self.assertEqual(proc.stderr.count("msptiActivityFlushAll returned 999"), 1, proc.stderr)
        # Full buffers still come back (MSPTI's own delivery); the partial one never does:
        # msptiUnsubscribe hands nothing back (Ascend/mspti callback_manager.cpp).
        executed = report["devices"]["0"]["kernels"]
        self.assertEqual(executed, 40000)
        self.assertEqual(s.value("npu:kernels_total"), RECORDS_PER_BUFFER)
        self.assertEqual(s.value("npuprobe:dropped_total", reason="mspti_buffer"), 0)

    def test_records_after_the_last_flush_arrive_when_the_process_ends_with__exit(self):
        # A worker that ends with aclFinalize and _exit (no aclrtResetDevice, no atexit) and no
        # periodic flush before it: MSPTI hands its partial buffer back only when asked
        # (msptiActivityFlushAll; msptiUnsubscribe hands nothing back), so every kernel is
        # counted only if npuprobe flushes when it stops collection at aclFinalize.
        self.write_yaml("task_time:\n  mode: 2\n")
        folder = tempfile.mkdtemp(prefix="store-", dir=self.tmp.name)
        steps, launches = 30, 10
        kernels = steps * launches
        proc = subprocess.run([DRIVER, "finalize", str(steps), str(launches)],
                              env=preload_env(folder, self.env(NPUPROBE_FLUSH_MS="600000")),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("finalized", proc.stdout)
        self.assertNotIn(QUEUE_LOSS, proc.stderr)
        s = dump(folder)
        self.assertEqual(s.value("npu:kernels_total", device="0"), kernels, proc.stderr)
        self.assertEqual(s.value("npuprobe:dropped_total", reason="mspti_buffer"), 0)
        self.assertEqual(s.value("npuprobe:task_time_active", mode="mspti"), 0)


class AclprofTest(TaskTimeCase):
    def prof_dir(self):
        return os.path.join(self.tmp.name, "prof")

    def calls(self):
        logs = glob.glob(os.path.join(self.prof_dir(), "npumock_aclprof_*.log"))
        self.assertEqual(len(logs), 1, logs)
        with open(logs[0]) as f:
            return f.read().splitlines()

    def write_config(self, level, extra=""):
        self.write_yaml(f"task_time:\n  mode: 1\n  level: '{level}'\n"
                        f"  prof_dir: {self.prof_dir()}\n{extra}")

    def expected(self, devices, data_types):
        calls = [f"aclprofInit dir={self.prof_dir()}"]
        for d in devices:
            calls += [f"aclprofCreateConfig devices={d} aicore_metrics=1 data_types={data_types}",
                      f"aclprofStart devices={d}"]
        for d in devices:
            calls += [f"aclprofStop devices={d}", f"aclprofDestroyConfig devices={d}"]
        return calls + ["aclprofFinalize"]

    def assert_sequence(self, calls, devices, data_types):
        # Devices start in the order their threads set them; each one's own calls are ordered.
        expected = self.expected(devices, data_types)
        self.assertEqual((calls[0], calls[-1]), (expected[0], expected[-1]), calls)
        self.assertEqual(sorted(calls), sorted(expected))
        for d in devices:
            mine = [c for c in calls if c.endswith(f"devices={d}") or f"devices={d} " in c]
            self.assertEqual([c.split()[0] for c in mine], ["aclprofCreateConfig", "aclprofStart",
                                                            "aclprofStop", "aclprofDestroyConfig"])

    def test_levels_give_msserviceprofilers_sequence_for_every_device(self):
        for level, types in (("L0", "0x880"), ("L1", "0x83")):
            with self.subTest(level=level):
                self.write_config(level)
                _, report, s = self.run_sim(["--steps", "10", "--launches", "3", "--devices",
                                             "0,3"], LD_PRELOAD=PRELOAD)
                self.assert_sequence(self.calls(), [0, 3], types)
                self.assertEqual(s.value("npu:steps_total"), 20)
                self.assertEqual(s.value("npuprobe:task_time_active", mode="aclprof"), 0)
                self.assertNotIn("kernels_total", s.text, "mode 1 makes no MSPTI metrics")
                for log in glob.glob(os.path.join(self.prof_dir(), "*.log")):
                    os.remove(log)

    def test_level_duration_and_timelimit_stop_profiling_while_the_process_runs(self):
        for level, extra, reason in (("L0,1", "", "the level's duration"),
                                     ("L1", "  timelimit_s: 1\n", "task_time.timelimit_s passed")):
            with self.subTest(level=level, extra=extra):
                self.write_config(level, extra)
                folder, sim = self.start(["--launches", "2"], LD_PRELOAD=PRELOAD)
                try:
                    # Started at the first aclrtSetDevice, stopped about a second later; the
                    # gauge is checked for 0 only (1 may last shorter than a dump on a busy host).
                    wait_for(folder, lambda s: s.value("npu:steps_total") > 0)
                    s = wait_for(folder, lambda s: s.value("npuprobe:task_time_active",
                                                           mode="aclprof") == 0)
                    self.assertEqual(s.value("npuprobe:task_time_active", mode="aclprof"), 0)
                    self.assertEqual(sim.poll(), None, "the application still runs")
                    self.assertEqual(self.calls()[-1], "aclprofFinalize")
                    self.assertEqual(len(self.calls()), 6)
                finally:
                    stderr = self.stop(sim)
                self.assertIn(f"aclprof stopped: {reason}", stderr)
                for log in glob.glob(os.path.join(self.prof_dir(), "*.log")):
                    os.remove(log)

    def test_off_stops_profiling_and_on_starts_it_again(self):
        self.write_config("L0")
        folder, sim = self.start(["--launches", "2"], LD_PRELOAD=PRELOAD)
        try:
            wait_for(folder, lambda s: s.value("npuprobe:task_time_active",
                                                    mode="aclprof") == 1)
            self.switch("off")
            s = wait_for(folder, lambda s: s.value("npuprobe:task_time_active",
                                                        mode="aclprof") == 0, timeout=5)
            self.assertEqual(self.calls()[-1], "aclprofFinalize")
            self.switch("on")
            wait_for(folder, lambda s: s.value("npuprobe:task_time_active",
                                                    mode="aclprof") == 1)
        finally:
            self.stop(sim)
        calls = self.calls()
        self.assertEqual(calls[:6], self.expected([0], "0x880"))
        self.assertEqual(calls[6:9], self.expected([0], "0x880")[:3], "profiling again")

    def test_acl_finalize_comes_after_npuprobes_own_aclprof_stop(self):
        # The real aclFinalize ends aclprof itself (MsprofFinalize), and aclprofStop /
        # aclprofFinalize are no-ops after it; the fake CANN logs "aclFinalize ended profiling"
        # then. npuprobe must have stopped, destroyed and finalized before the application's
        # aclFinalize, on every device.
        self.write_config("L1")
        _, _, s = self.run_sim(["--steps", "10", "--launches", "3", "--devices", "0,1"],
                               LD_PRELOAD=PRELOAD)
        calls = self.calls()
        self.assertFalse([c for c in calls if c.startswith("aclFinalize")], calls)
        self.assert_sequence(calls, [0, 1], "0x83")
        self.assertEqual(s.value("npuprobe:task_time_active", mode="aclprof"), 0)

    def test_not_started_with_libmspti_preloaded(self):
        self.write_config("L0")
        proc, _, s = self.run_sim(["--steps", "5", "--launches", "2"])
        self.assertIn("task_time.mode=1 (aclprof) is not started: libmspti.so is in LD_PRELOAD",
                      proc.stderr)
        self.assertEqual(glob.glob(os.path.join(self.prof_dir(), "*")), [])
        self.assertEqual(s.value("npu:steps_total"), 5)

    def test_an_unusable_prof_dir_turns_aclprof_off(self):
        blocker = os.path.join(self.tmp.name, "a_file")
        open(blocker, "w").close()
        self.write_yaml(f"task_time:\n  mode: 1\n  prof_dir: {blocker}/prof\n")
        proc, _, s = self.run_sim(["--steps", "5", "--launches", "2"], LD_PRELOAD=PRELOAD)
        self.assertIn(f"task_time.prof_dir {blocker}/prof cannot be created", proc.stderr)
        self.assertIn("is not a folder", proc.stderr)
        self.assertEqual(s.value("npu:steps_total"), 5)
        # The fake CANN refusing aclprofInit (a folder it cannot create) is said too.
        self.write_config("L0")
        proc, _, s = self.run_sim(["--steps", "5", "--launches", "2"], LD_PRELOAD=PRELOAD,
                                  NPU_MOCK_FAIL="aclprofInit:1:100000")
        self.assertIn("returned 100000: aclprof (acl_task_time=1) off", proc.stderr)
        self.assertEqual(s.value("npu:steps_total"), 5)


class AclprofRefusedTest(TaskTimeCase):
    """Each refusal of the runtime (docs/ascend-stack.md, "aclprof refusals") leaves mode 1 off,
    says why once, and shows in npuprobe:task_time_active{reason}, npuprobe status and check."""

    def test_each_refusal_is_reported(self):
        prof = os.path.join(self.tmp.name, "prof")
        app_prof = os.path.join(self.tmp.name, "app-prof")
        self.write_yaml(f"task_time:\n  mode: 1\n  prof_dir: {prof}\n")
        cases = [
            ("msprof_command_line", [], {"PROFILER_SAMPLECONFIG": '{"result_dir": "/tmp"}'},
             "aclprofInit", 100042),
            ("dynamic_profiling", [], {"PROFILING_MODE": "dynamic"}, "aclprofInit", 200006),
            ("already_initialized", ["--app-aclprof", app_prof], {}, "aclprofInit", 100002),
            # Not initialized at aclprofStart: what a concurrent aclFinalize leaves; injected.
            ("not_run", [], {"NPU_MOCK_FAIL": "aclprofStart:1:100043"}, "aclprofStart", 100043),
        ]
        for reason, args, extra, call, code in cases:
            with self.subTest(reason):
                folder, sim = self.start(["--launches", "2"] + args, LD_PRELOAD=PRELOAD, **extra)
                try:
                    s = wait_for(folder, lambda s: s.has("npuprobe:task_time_active",
                                                         mode="aclprof", reason=reason))
                    self.assertEqual(s.value("npuprobe:task_time_active", mode="aclprof",
                                             reason=reason), 0)
                    self.assertEqual(s.value("npuprobe:task_time_active", mode="aclprof"), 0)
                    # The registry entry is rewritten right after the flush that published it.
                    deadline = time.monotonic() + 5
                    while True:
                        status = json.loads(self.cli("status", "--json").stdout)
                        mine = [p["task_time"] for p in status["processes"] if p["pid"] == sim.pid]
                        if mine == [f"aclprof refused: {reason}"] or time.monotonic() > deadline:
                            break
                        time.sleep(0.1)
                    self.assertEqual(mine, [f"aclprof refused: {reason}"])
                    text = self.cli("status").stdout
                    self.assertIn(f"task time: aclprof refused: {reason}", text)
                    check = self.cli("check", **extra).stdout
                    self.assertIn(f"warn  task time: process {sim.pid}: task_time.mode 1 (aclprof) "
                                  f"was refused by the runtime: {reason}", check)
                    self.assertEqual(sim.poll(), None, "the application still runs")
                finally:
                    stderr = self.stop(sim)
                said = [l for l in stderr.splitlines() if "aclprof (acl_task_time=1) off" in l]
                self.assertEqual(len(said), 1, stderr)
                self.assertIn(f"{call}", said[0])
                self.assertIn(f"returned {code} (", said[0])
                self.assertIn("[npuprobe]", said[0])

    def test_check_foresees_the_refusals_of_the_environment(self):
        self.write_yaml("task_time:\n  mode: 1\n")
        for extra, expected in (
                ({"PROFILER_SAMPLECONFIG": "{}"}, "warn  task time: task_time.mode 1 (aclprof) will "
                                                  "be refused: msprof's command line"),
                ({"PROFILING_MODE": "dynamic"}, "warn  task time: task_time.mode 1 (aclprof) will be "
                                                "refused: dynamic profiling is on")):
            with self.subTest(extra=extra):
                out = self.cli("check", LD_PRELOAD=PRELOAD, **extra).stdout
                self.assertIn(expected, out)
        out = self.cli("check", LD_PRELOAD=PRELOAD).stdout
        self.assertNotIn("will be refused", out)


class BadTaskTimeInputTest(TaskTimeCase):
    def test_out_of_range_values_are_named_and_the_feature_stays_off(self):
        cases = [
            ("task_time:\n  mode: 3\n", "task_time.mode"),
            ("task_time:\n  mode: 1\n  level: L2\n", "task_time.level"),
            ("task_time:\n  mode: 2\n  timelimit_s: -1\n", "task_time.timelimit_s"),
            ("task_time:\n  mode: 2\n  mspti_buffers: 0\n", "task_time.mspti_buffers"),
            ("memory:\n  sample_hz: -5\n", "memory.sample_hz"),
            ("memory:\n  sample_hz: 1000\n", "memory.sample_hz"),
        ]
        for text, key in cases:
            with self.subTest(text=text):
                self.write_yaml(text)
                proc, report, s = self.run_sim(["--steps", "5", "--launches", "2"],
                                               LD_PRELOAD=PRELOAD)
                self.assertIn(key, proc.stderr)
                self.assertIn("npuprobe", proc.stderr)
                self.assertEqual(s.value("npu:steps_total"), 5)
        profiler = os.path.join(self.tmp.name, "ms_service_profiler_config.json")
        for bad in ({"acl_task_time": 7}, {"acl_prof_task_time_level": "L9"},
                    {"npu_memory_usage_freq": 500}, {"timelimit": 99999}):
            with self.subTest(json=bad):
                with open(profiler, "w") as f:
                    json.dump(dict({"enable": 1}, **bad), f)
                proc, _, s = self.run_sim(["--steps", "5", "--launches", "2"], NPUPROBE_CONFIG="",
                                          SERVICE_PROF_CONFIG_PATH=profiler)
                self.assertIn(next(iter(bad)), proc.stderr)
                self.assertNotIn("kernels_total", s.text)
                self.assertEqual(s.value("npu:steps_total"), 5)


if __name__ == "__main__":
    unittest.main()
