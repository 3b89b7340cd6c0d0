#!/usr/bin/python3
"""The regression gate (bench/regressions.py) fails on a figure worse than its noise, and on
nothing else: a run against itself, a gain, a change within the spread, a quick run, another
machine and a table without its key columns all pass. Run by ctest (bench_regression_gate)."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MACHINE = "AMD EPYC, 2 cores, 6.1.0, load 0.50"
PER_CALL = {
    "title": "t", "command": "c", "machine": MACHINE, "quick": False,
    "columns": ["api", "threads", "variant", "ns per call (median)", "spread (IQR)"],
    "rows": [["launch", 1, "enabled", 90.0, "89..92"], ["launch", 1, "floor", 58.0, "57..59"]],
}
CALLGRIND = {
    "title": "t", "command": "c", "machine": MACHINE, "quick": False,
    "columns": ["api", "variant", "instructions per call", "extra over bare"],
    "rows": [["launch", "enabled", 341.0, 330.0]],
}
GBENCH = {
    "title": "t", "command": "c", "machine": MACHINE, "quick": False,
    "columns": ["benchmark", "time (median)", "CPU (median)", "spread (cv of CPU)", "counters"],
    "rows": [["BM_X", "10.0 us", "10.0 us", "2.0 %", "-"]],
}


def gate(baseline, new):
    with tempfile.TemporaryDirectory() as old_dir, tempfile.TemporaryDirectory() as new_dir:
        for folder, tables in ((old_dir, baseline), (new_dir, new)):
            for name, table in tables.items():
                with open(os.path.join(folder, name), "w") as f:
                    json.dump(table, f)
        proc = subprocess.run([sys.executable, os.path.join(HERE, "regressions.py"), old_dir,
                               new_dir], stdout=subprocess.PIPE, text=True)
        return proc.returncode, proc.stdout


def changed(table, row, column, value):
    out = copy.deepcopy(table)
    out["rows"][row][out["columns"].index(column)] = value
    return out


class Gate(unittest.TestCase):
    def test_the_same_results_pass(self):
        tables = {"per_call.json": PER_CALL, "callgrind.json": CALLGRIND,
                  "store_record.json": GBENCH}
        self.assertEqual(gate(tables, tables)[0], 0)

    def test_a_slower_call_beyond_its_spread_fails_and_is_named(self):
        rc, out = gate({"per_call.json": PER_CALL},
                       {"per_call.json": changed(PER_CALL, 0, "ns per call (median)", 120.0)})
        self.assertEqual(rc, 1)
        self.assertIn("REGRESSED per_call.json: launch / 1 / enabled", out)
        self.assertIn("90.0 -> 120.0", out)

    def test_a_change_within_the_noise_or_a_gain_passes(self):
        within = changed(PER_CALL, 0, "ns per call (median)", 93.0)  # IQR 3 ns, 5 % = 4.5
        self.assertEqual(gate({"per_call.json": PER_CALL}, {"per_call.json": within})[0], 0)
        faster = changed(PER_CALL, 0, "ns per call (median)", 60.0)
        self.assertEqual(gate({"per_call.json": PER_CALL}, {"per_call.json": faster})[0], 0)

    def test_instruction_counts_allow_one_percent(self):
        ok = changed(CALLGRIND, 0, "instructions per call", 344.0)
        self.assertEqual(gate({"callgrind.json": CALLGRIND}, {"callgrind.json": ok})[0], 0)
        worse = changed(CALLGRIND, 0, "instructions per call", 346.0)
        self.assertEqual(gate({"callgrind.json": CALLGRIND}, {"callgrind.json": worse})[0], 1)

    def test_google_benchmark_rows_use_their_coefficient_of_variation(self):
        worse = changed(GBENCH, 0, "CPU (median)", "11.0 us")
        self.assertEqual(gate({"store_record.json": GBENCH}, {"store_record.json": worse})[0], 1)
        near = changed(GBENCH, 0, "CPU (median)", "10.4 us")
        self.assertEqual(gate({"store_record.json": GBENCH}, {"store_record.json": near})[0], 0)

    def test_quick_runs_other_machines_and_new_columns_are_not_compared(self):
        worse = changed(PER_CALL, 0, "ns per call (median)", 500.0)
        for variant in ({"quick": True}, {"machine": "Kunpeng 920, 192 cores, 5.10, load 1"}):
            new = dict(worse, **variant)
            rc, out = gate({"per_call.json": PER_CALL}, {"per_call.json": new})
            self.assertEqual(rc, 0, out)
            self.assertIn("not compared", out)
        renamed = dict(worse, columns=["call"] + worse["columns"][1:])
        self.assertEqual(gate({"per_call.json": PER_CALL}, {"per_call.json": renamed})[0], 0)


if __name__ == "__main__":
    unittest.main()
