#!/usr/bin/python3
"""Device memory sampling (memory.sample_hz, msserviceprofiler's npu_memory_usage_freq): the HBM
gauges follow what the simulated device reports through aclrtGetMemInfo(HBM), only for devices
the process set, and not while the switch is OFF.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_memory_sampling
"""
import json
import os
import subprocess
import sys
import time
import unittest

from npuprobe_run import (CLI, FOREIGN_PRELOAD, FOREIGN_REASON, MOCK_LIB, SANITIZED, dump,
                          preload_env, run_sim, start_sim, wait_for)
from test_runtime_switch import ConfigFileCase, wait_published_after, wait_status

GIB = 1 << 30
MIB = 1 << 20
# Allocates 8 MiB on device 0 and says "first"; then on each line of stdin: "more" allocates
# 16 MiB and says "second", "count" says how many aclrtGetMemInfo calls the mock has seen (the
# mock's own call accounting: npuprobe's sampler is the only caller), "done" frees and exits.
ALLOC_ON_REQUEST = """
import ctypes, os, sys
# RTLD_GLOBAL: npuprobe's sampler finds aclrtGetMemInfo in the global scope only.
lib = ctypes.CDLL(os.path.join(os.environ["NPU_MOCK_LIB"], "libascendcl.so"),
                  mode=ctypes.RTLD_GLOBAL)
lib.aclrtMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t, ctypes.c_int]
lib.aclrtFree.argtypes = [ctypes.c_void_p]
lib.npumock_call_count.argtypes = [ctypes.c_char_p]
lib.npumock_call_count.restype = ctypes.c_uint64
assert lib.aclInit(None) == 0
assert lib.aclrtSetDevice(0) == 0
blocks = [ctypes.c_void_p()]
assert lib.aclrtMalloc(ctypes.byref(blocks[0]), 8 << 20, 0) == 0
print("first", flush=True)
for line in sys.stdin:
    if line.strip() == "more":
        blocks.append(ctypes.c_void_p())
        assert lib.aclrtMalloc(ctypes.byref(blocks[-1]), 16 << 20, 0) == 0
        print("second", flush=True)
    elif line.strip() == "count":
        print(lib.npumock_call_count(b"aclrtGetMemInfo"), flush=True)
    else:
        break
for b in blocks:
    assert lib.aclrtFree(b) == 0
assert lib.aclrtResetDevice(0) == 0
assert lib.aclFinalize() == 0
"""


class MemorySamplingTest(ConfigFileCase):
    def env(self, **extra):
        return dict({"NPUPROBE_CONFIG": self.yaml, "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix,
                     "NPU_MOCK_HBM_BYTES": str(GIB), "NPU_MOCK_HBM_RESERVED_BYTES": str(64 * MIB),
                     "NPUPROBE_REGISTRY_DIR": os.path.join(self.tmp.name, "registry")}, **extra)

    def start_sim(self, folder, args, **extra):
        return start_sim(["--steps", "100000", "--launches", "2", "--host-gap-us", "1000"] + args,
                         folder, self.env(**extra))

    def test_hbm_gauges_follow_the_device(self):
        self.write_yaml("memory:\n  sample_hz: 20\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        args = ["--devices", "1,3", "--alloc-bytes", str(32 * MIB)]
        # npu-sim's truth for this workload: it allocates everything before its first step and
        # frees it after its last, so a short run reports what the long one holds while it runs.
        proc, report, _, _ = run_sim(["--steps", "2", "--launches", "2"] + args,
                                     self.env(), preload=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        held = {d: t["bytes_allocated"] for d, t in report["devices"].items()}
        self.assertEqual(sorted(held), ["1", "3"])
        sim = self.start_sim(folder, args)
        try:
            s = wait_for(folder, lambda s: all(
                s.value("npu:memory:hbm_used_bytes", device=d) == 64 * MIB + held[str(d)]
                for d in (1, 3)))
        finally:
            sim.kill()
            sim.communicate(timeout=30)
        for device in (1, 3):
            self.assertEqual(s.value("npu:memory:hbm_total_bytes", device=device), GIB)
            # used = what the runtime holds (NPU_MOCK_HBM_RESERVED_BYTES) + what npu-sim
            # allocated on that device (its 32 MiB block and its output buffer), by npu-sim
            self.assertGreater(held[str(device)], 32 * MIB)
            self.assertEqual(s.value("npu:memory:hbm_used_bytes", device=device),
                             64 * MIB + held[str(device)], s.text)
        self.assertEqual(s.label_values("npu:memory:hbm_total_bytes", "device"), ["1", "3"],
                         "only devices the process set")

    def test_off_without_sample_hz_and_from_the_profiler_json(self):
        self.write_yaml("logging:\n  level: warn\n")
        proc, _, s, _ = run_sim(["--steps", "3", "--launches", "1"], self.env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("hbm_total_bytes", s.text)
        profiler = os.path.join(self.tmp.name, "ms_service_profiler_config.json")
        with open(profiler, "w") as f:
            json.dump({"enable": 1, "npu_memory_usage_freq": 50}, f)
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        sim = self.start_sim(folder, [], SERVICE_PROF_CONFIG_PATH=profiler, NPUPROBE_CONFIG="")
        try:
            s = wait_for(folder, lambda s: s.value("npu:memory:hbm_total_bytes") > 0)
        finally:
            sim.kill()
            sim.communicate(timeout=30)
        self.assertEqual(s.value("npu:memory:hbm_total_bytes", device=0), GIB)

    @unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
    @unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
    def test_not_sampled_while_off_and_sampled_again_on(self):
        # A process whose device memory changes only while the switch is OFF: the gauge keeps
        # the value sampled before, and shows the new one once the switch is ON again.
        self.write_yaml("memory:\n  sample_hz: 50\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        env = dict(os.environ, **self.env())
        driver = subprocess.Popen(
            [sys.executable, "-c", ALLOC_ON_REQUEST], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
            env=preload_env(folder, dict(self.env(), NPU_MOCK_LIB=MOCK_LIB)))

        def ask(line):
            driver.stdin.write(line + "\n")
            driver.stdin.flush()
            return driver.stdout.readline().strip()
        try:
            self.assertEqual(driver.stdout.readline().strip(), "first")
            first = 64 * MIB + 8 * MIB
            s = wait_for(folder, lambda s: s.value("npu:memory:hbm_used_bytes") == first)
            self.assertEqual(s.value("npu:memory:hbm_used_bytes", device=0), first, s.text)
            subprocess.run([CLI, "off"], env=env, check=True, capture_output=True, timeout=30)
            wait_status(self, env, driver.pid, r"^\d+\s+off\s")  # the process saw OFF
            self.assertEqual(ask("more"), "second")
            # A flush (and with it a publishing occasion) after the allocation, while OFF.
            wait_published_after(self, env, driver.pid, time.time())
            calls_off = int(ask("count"))
            self.assertEqual(dump(folder).value("npu:memory:hbm_used_bytes", device=0), first,
                             "sampled while OFF")
            # And no aclrtGetMemInfo of npuprobe's while OFF: over more flushes (and at 50 Hz
            # more than ten sampling periods) the mock saw no new call.
            since = time.time()
            wait_published_after(self, env, driver.pid, since)
            wait_published_after(self, env, driver.pid, since + 0.2)
            self.assertEqual(int(ask("count")), calls_off, "aclrtGetMemInfo called while OFF")
            subprocess.run([CLI, "on"], env=env, check=True, capture_output=True, timeout=30)
            second = first + 16 * MIB
            s = wait_for(folder, lambda s: s.value("npu:memory:hbm_used_bytes") == second)
            self.assertEqual(s.value("npu:memory:hbm_used_bytes", device=0), second, s.text)
            self.assertGreater(int(ask("count")), calls_off, "sampling again once ON")
            driver.stdin.write("done\n")
            driver.stdin.flush()
            self.assertEqual(driver.wait(timeout=60), 0)
        finally:
            if driver.poll() is None:
                driver.kill()
            driver.communicate(timeout=30)

    def test_a_cann_without_get_mem_info_turns_the_feature_off(self):
        # The mock's aclrtGetMemInfo fails (NPU_MOCK_FAIL): three failures, one warning, the
        # application unaffected.
        self.write_yaml("memory:\n  sample_hz: 50\n")
        proc, report, s, _ = run_sim(["--steps", "200", "--launches", "1", "--host-gap-us",
                                      "2000"], self.env(NPU_MOCK_FAIL="aclrtGetMemInfo:1+:507899"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.count("memory sampling of device 0 off"), 1, proc.stderr)
        self.assertEqual(s.value("npu:steps_total"), report["devices"]["0"]["steps"])
        self.assertNotIn("hbm_used_bytes{", s.text)


if __name__ == "__main__":
    unittest.main()
