#!/usr/bin/python3
"""`--json` of `npuprobe check`, `status` and `gc`: one JSON object on stdout that says what the
text says, for scripts. Exact fields and values, against a real instrumented npu-sim.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_cli_json
"""
import json
import os
import subprocess
import tempfile
import time
import unittest

from npuprobe_run import (CLI, MOCK_LIB, NPU_SIM, OWN_REGISTRY, TIME_SCALE, preload_env,
                          wait_until)


def cli(args, env):
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60)


class JsonTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "store")
        os.mkdir(self.folder)
        self.env = preload_env(self.folder, preload=False)
        self.env["LD_LIBRARY_PATH"] = MOCK_LIB

    def tearDown(self):
        self.tmp.cleanup()

    def test_check_json_has_every_finding_and_the_verdict(self):
        text = cli(["check"], self.env)
        out = cli(["check", "--json"], self.env)
        self.assertEqual(out.returncode, text.returncode, out.stdout + out.stderr)
        report = json.loads(out.stdout)
        lines = text.stdout.splitlines()
        self.assertEqual([f"{f['status']}  {f['what']}: {f['detail']}" for f in report["findings"]],
                         lines[:-1])
        self.assertEqual(report["passed"], text.returncode == 0)
        self.assertEqual(report["warnings"], sum(l.startswith("warn  ") for l in lines))
        failing = cli(["check", "--json", "--dir", os.path.join(self.folder, "x\n\"y")],
                      dict(self.env, NPUPROBE_STORE_FORMAT="v9"))
        self.assertEqual(failing.returncode, 1)
        report = json.loads(failing.stdout)
        self.assertFalse(report["passed"])
        self.assertTrue(report["first_failure"].startswith("environment: NPUPROBE_STORE_FORMAT")
                        or report["first_failure"].startswith("format"), report["first_failure"])

    def test_status_json_lists_the_process_as_the_table_does(self):
        env = preload_env(self.folder)
        env["LD_LIBRARY_PATH"] = MOCK_LIB
        sim = subprocess.Popen([NPU_SIM, "--steps", "100000", "--launches", "2",
                                "--host-gap-us", "1000"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            def row():
                status = json.loads(cli(["status", "--json", "--registry", OWN_REGISTRY],
                                        self.env).stdout)
                mine = [p for p in status["processes"] if p["pid"] == sim.pid]
                return mine[0] if mine and mine[0]["last_publish_unix_ms"] > 0 else None
            self.assertTrue(wait_until(lambda: row() is not None, timeout=20 * TIME_SCALE))
            p = row()
            self.assertEqual((p["state"], p["devices"], p["dp"], p["folder"]),
                             ("on", [0], "0", self.folder))
            self.assertIn("npu-sim", p["command"])
            self.assertLess(abs(time.time() * 1000 - p["last_publish_unix_ms"]), 10000 * TIME_SCALE)
        finally:
            sim.kill()
            sim.wait()

    def test_gc_json_names_the_files_of_dead_processes(self):
        dead = os.path.join(self.folder, "gauge_livesum_999999999.db")
        kept = os.path.join(self.folder, "counter_999999999.db")
        for path in (dead, kept):
            with open(path, "wb") as f:
                f.write(b"\0" * 8)
        out = cli(["gc", "--dir", self.folder, "--dry-run", "--json"], self.env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), {"folder": self.folder, "dry_run": True,
                                                  "removed": [dead], "errors": []})
        self.assertTrue(os.path.exists(dead))
        out = cli(["gc", "--dir", self.folder, "--json"], self.env)
        self.assertEqual(json.loads(out.stdout)["removed"], [dead])
        self.assertEqual(os.listdir(self.folder), [os.path.basename(kept)])


if __name__ == "__main__":
    unittest.main()
