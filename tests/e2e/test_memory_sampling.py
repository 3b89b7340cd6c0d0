#!/usr/bin/python3
"""Device memory sampling (memory.sample_hz, msserviceprofiler's npu_memory_usage_freq): the HBM
gauges follow what the simulated device reports through aclrtGetMemInfo(HBM), only for devices
the process set, and not while the switch is OFF.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_memory_sampling
"""
import json
import os
import subprocess
import time
import unittest

from npuprobe_run import CLI, dump, run_sim, start_sim, wait_for
from test_runtime_switch import ConfigFileCase

GIB = 1 << 30
MIB = 1 << 20


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
        sim = self.start_sim(folder, ["--devices", "1,3", "--alloc-bytes", str(32 * MIB)])
        try:
            s = wait_for(folder, lambda s: s.value("npu:memory:hbm_used_bytes", device=3) > 0)
        finally:
            sim.kill()
            sim.communicate(timeout=30)
        for device in (1, 3):
            self.assertEqual(s.value("npu:memory:hbm_total_bytes", device=device), GIB)
            # used = what the runtime holds (reserved) + what npu-sim allocated (its 32 MiB block
            # and small buffers), as npuprobe's own allocation accounting counts it
            allocated = s.value("npu:memory:allocated_bytes", device=device)
            self.assertGreaterEqual(allocated, 32 * MIB)
            self.assertEqual(s.value("npu:memory:hbm_used_bytes", device=device),
                             64 * MIB + allocated, s.text)
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

    def test_gauges_keep_their_last_value_while_off(self):
        self.write_yaml("memory:\n  sample_hz: 50\n")
        folder = os.path.join(self.tmp.name, "store")
        os.mkdir(folder)
        env = dict(os.environ, **self.env())
        sim = self.start_sim(folder, ["--alloc-bytes", str(8 * MIB)])
        try:
            s = wait_for(folder, lambda s: s.value("npu:memory:hbm_used_bytes") > 0)
            used = s.value("npu:memory:hbm_used_bytes")
            self.assertEqual(used, 64 * MIB + s.value("npu:memory:allocated_bytes"))
            subprocess.run([CLI, "off"], env=env, check=True, capture_output=True, timeout=30)
            time.sleep(0.4)
            self.assertEqual(dump(folder).value("npu:memory:hbm_used_bytes"), used)
            subprocess.run([CLI, "on"], env=env, check=True, capture_output=True, timeout=30)
            time.sleep(0.4)
            self.assertEqual(dump(folder).value("npu:memory:hbm_used_bytes"), used)
        finally:
            sim.kill()
            sim.communicate(timeout=30)

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
