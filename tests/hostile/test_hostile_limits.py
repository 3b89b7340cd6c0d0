"""Floods of ops, devices and label bytes (issue 15, limits).

With NPUPROBE_OP_LABEL=1 every (device, op) pair gets its own series. When they do not all fit,
the op-labelled detail is what gets cut: every device keeps its core series, and every launch
whose op series is missing is counted in npuprobe:dropped{reason} (op_series_full when the
registry's room for detail is full, op_table_full past the 4096 pairs of the op table,
op_unnamed for ops past the 2048 aclnn thunks), with one warning line per reason. A label value is cut to 128 bytes. Exact counts come from npu-sim's
ground truth (each op runs once per step on each device: --launches == --ops)."""
import json
import os
import subprocess
import tempfile
import unittest

from hostile import NPU_SIM, run_bounded
from npuprobe_run import dump, preload_env

DEVICES = list(range(8))
STEPS = 3

# The registry (store/include/npuprobe/store/registry.h, probes/src/metric_families.cc): 131072
# cells, 2 of them sinks; 64 devices' core series and 4096 more cells are kept from op detail.
MAX_CELLS = 1 << 17
STEP_BOUNDS, CALL_BOUNDS, COUNT_BOUNDS = 24, 19, 17
# Six step histograms (forward, kernel_launch, non_forward, sync_wait, launch_api_duration,
# step_hccl_duration), launches_per_step, steps, three memory gauges, alloc latency, then the
# launch and sync series of every api.
CORE_CELLS_PER_DEVICE = (6 * (STEP_BOUNDS + 2) + (COUNT_BOUNDS + 2) + 1 + 3 + (CALL_BOUNDS + 2)
                         + 10 * (1 + CALL_BOUNDS + 2) + 6 * (1 + STEP_BOUNDS + 2))
DETAIL_ROOM = MAX_CELLS - 2 - (64 * CORE_CELLS_PER_DEVICE + 4096)
OP_TABLE = 4096


def run_ops(ops, extra_env=None, config=None):
    """npu-sim with `ops` distinct aclnn ops, each launched once per step on each of 8 devices,
    under the preload with op labels. Returns (stderr, ground truth report, Samples)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "store")
        os.mkdir(folder)
        env = {"NPUPROBE_OP_LABEL": "1"}
        if config is not None:
            path = os.path.join(tmp, "npuprobe.yaml")
            with open(path, "w") as f:
                f.write(config)
            env["NPUPROBE_CONFIG"] = path
        env.update(extra_env or {})
        report_path = os.path.join(tmp, "report.json")
        out = run_bounded([NPU_SIM, "--steps", str(STEPS), "--launches", str(ops), "--ops",
                           str(ops), "--binding", "opapi-per-op", "--device-us", "1",
                           "--host-gap-us", "10", "--devices", ",".join(map(str, DEVICES)),
                           "--report", report_path],
                          env=preload_env(folder, env), limit_s=300)
        if out.returncode != 0:
            raise AssertionError(f"npu-sim failed: {out.stderr[-3000:]}")
        with open(report_path) as f:
            report = json.load(f)
        return out.stderr, report, dump(folder), folder_bytes(folder)


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))


def device_truth(report, device):
    return report["devices"][str(device)]


class OpFloodTest(unittest.TestCase):
    def check_core_series(self, samples, report, ops):
        for device in DEVICES:
            truth = device_truth(report, device)
            self.assertEqual(truth["steps"], STEPS)
            self.assertEqual(truth["launches"], {"aclnn": STEPS * ops})
            self.assertEqual(samples.value("npu:steps_total", device=device), STEPS)
            self.assertEqual(samples.value("npu:launches_total", device=device, api="aclnn"),
                             STEPS * ops)
            self.assertEqual(samples.value("npu:forward_duration_count", device=device), STEPS)

    def op_series(self, samples):
        return [(l, v) for n, l, v in samples.samples if n.endswith("npu:op_launches_total")]

    def test_400_ops_on_8_devices_all_fit(self):
        # The case: 3200 pairs of 22 cells. The old 65536-cell registry filled (and left
        # later devices without any series); now every pair and every device has its series.
        ops = 400
        _, report, samples, _ = run_ops(ops)
        self.check_core_series(samples, report, ops)
        series = self.op_series(samples)
        self.assertEqual(len(series), len(DEVICES) * ops)
        self.assertTrue(all(v == STEPS for _, v in series), series[:5])
        for reason in ("op_series_full", "op_table_full"):
            self.assertEqual(samples.value("npuprobe:dropped_total", reason=reason), 0)

    def test_registry_room_for_op_detail_runs_out(self):
        # 100 bucket edges: one (device, op) pair takes 1 + 102 cells, so the room for detail
        # (DETAIL_ROOM cells) holds fewer pairs than the op table.
        edges = ", ".join(f"{(i + 1) * 1e-6:.6g}" for i in range(100))
        ops = 400
        stderr, report, samples, _ = run_ops(
            ops, config=f"buckets:\n  npu:op_launch_latency: [{edges}]\n")
        self.check_core_series(samples, report, ops)
        fitted = DETAIL_ROOM // 103
        series = self.op_series(samples)
        self.assertEqual(len(series), fitted)
        self.assertTrue(all(v == STEPS for _, v in series), series[:5])
        lost = len(DEVICES) * ops * STEPS - sum(v for _, v in series)
        self.assertEqual(lost, (len(DEVICES) * ops - fitted) * STEPS)
        self.assertEqual(samples.value("npuprobe:dropped_total", reason="op_series_full"), lost)
        self.assertEqual(samples.value("npuprobe:dropped_total", reason="op_table_full"), 0)
        warned = [l for l in stderr.splitlines() if 'reason="op_series_full"' in l]
        self.assertEqual(len(warned), 1, stderr[-3000:])
        self.assertIn("[warning] losing observations: the registry's room for op-labelled series "
                      "is full", warned[0])

    def test_op_table_runs_out(self):
        # 4800 pairs, 4096 fit in the op table. 10 bucket edges (1 + 12 cells a pair) so that
        # the registry's room holds more pairs than the op table: with the built-in 19 edges
        # (1 + 21 cells) it holds DETAIL_ROOM // 22, fewer than 4096.
        ops = 600
        edges = ", ".join(f"{(i + 1) * 1e-5:.6g}" for i in range(10))
        self.assertGreater(DETAIL_ROOM // 13, OP_TABLE)
        stderr, report, samples, _ = run_ops(
            ops, config=f"buckets:\n  npu:op_launch_latency: [{edges}]\n")
        self.check_core_series(samples, report, ops)
        series = self.op_series(samples)
        self.assertEqual(len(series), OP_TABLE)
        self.assertTrue(all(v == STEPS for _, v in series), series[:5])
        lost = (len(DEVICES) * ops - OP_TABLE) * STEPS
        self.assertEqual(samples.value("npuprobe:dropped_total", reason="op_table_full"), lost)
        self.assertEqual(samples.value("npuprobe:dropped_total", reason="op_series_full"), 0)
        warned = [l for l in stderr.splitlines() if 'reason="op_table_full"' in l]
        self.assertEqual(len(warned), 1, stderr[-3000:])


class ThunkFloodTest(unittest.TestCase):
    def test_ops_past_the_aclnn_thunks_are_counted_as_unnamed(self):
        # 2100 ops on one device: npu-sim's binding already took 3 thunks (aclnnAdd, aclnnMatmul,
        # aclnnSilu), so 2045 sim ops get one of the 2048 and 55 are handed out unwrapped. Their
        # launches still count (through the inner kernel launch) as api="aclnn", without an op.
        ops, thunked = 2100, 2048 - 3
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            os.mkdir(folder)
            report_path = os.path.join(tmp, "report.json")
            out = run_bounded([NPU_SIM, "--steps", str(STEPS), "--launches", str(ops), "--ops",
                               str(ops), "--binding", "opapi-per-op", "--device-us", "1",
                               "--host-gap-us", "10", "--report", report_path],
                              env=preload_env(folder, {"NPUPROBE_OP_LABEL": "1"}), limit_s=300)
            self.assertEqual(out.returncode, 0, out.stderr[-3000:])
            with open(report_path) as f:
                truth = json.load(f)["devices"]["0"]
            samples = dump(folder)
        self.assertEqual(truth["launches"], {"aclnn": STEPS * ops})
        self.assertEqual(samples.value("npu:launches_total", api="aclnn"), STEPS * ops)
        series = [(l["op"], v) for n, l, v in samples.samples
                  if n.endswith("npu:op_launches_total")]
        self.assertEqual(len(series), thunked)
        self.assertTrue(all(v == STEPS for _, v in series))
        self.assertEqual(samples.value("npuprobe:dropped_total", reason="op_unnamed"),
                         (ops - thunked) * STEPS)
        full = [l for l in out.stderr.splitlines() if "aclnn thunks are taken" in l]
        self.assertEqual(len(full), 1, out.stderr[-3000:])
        self.assertIn(f"all 2048 aclnn thunks are taken: aclnnSimOp{thunked:04d} and later ops",
                      full[0])
        dropped = [l for l in out.stderr.splitlines() if 'reason="op_unnamed"' in l
                   and "losing observations" in l]
        self.assertEqual(len(dropped), 1, out.stderr[-3000:])


class LabelLengthTest(unittest.TestCase):
    def test_a_100_kb_dp_rank_is_cut_to_128_bytes(self):
        dp = "7" * 100_000
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            os.mkdir(folder)
            out = run_bounded([NPU_SIM, "--steps", "5", "--launches", "4"],
                              env=preload_env(folder, {"VLLM_DP_RANK": dp}))
            self.assertEqual(out.returncode, 0, out.stderr[-2000:])
            samples = dump(folder)
            self.assertEqual(samples.label_values("npu:steps_total", "dp"), ["7" * 128])
            self.assertEqual(samples.value("npu:steps_total"), 5)
            # Every series of every family carries the cut value, none the long one.
            self.assertNotIn("7" * 129, samples.text)
            # The store stays the size of an ordinary run's (a few hundred kB at most, not 69 MB).
            self.assertLess(folder_bytes(folder), 2 << 20)
        warned = [l for l in out.stderr.splitlines() if "is cut to" in l]
        self.assertEqual(len(warned), 1, out.stderr[-2000:])
        self.assertTrue(warned[0].endswith(
            '[warning] a label value of 100000 bytes (starting "' + "7" * 32 + '") is cut to 128 '
            "bytes; values that differ only after that share one series (logged once)"),
            warned[0])


if __name__ == "__main__":
    unittest.main()
