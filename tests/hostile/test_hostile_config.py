#!/usr/bin/python3
"""Configuration messages (issue 15): a careless operator's environment and config file.

Every NPUPROBE_* variable with a value it does not accept gets one warning line from the
instrumented process, word for word the line `npuprobe check` prints for the same environment
(after "FAIL  "); booleans take 1/0, true/false, yes/no, on/off in any case, and a refused
NPUPROBE_DISABLE disables; a config file with more bad values than the log shows says how many
more there are.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_hostile_config
"""
import os
import re
import tempfile
import unittest

from hostile import CLI, MOCK_LIB, NPU_SIM, npuprobe_run, run_bounded

BOOLEANS = "1, 0, true, false, yes, no, on, off (any case)"
# A warning line of the preload's log sink (preload/runtime/log_sink.cc), or of the store's default
# sink before that one is installed.
WARNING = re.compile(r"^(?:\[[^\]]+\] \[npuprobe\] \[pid \d+\] \[warning\] "
                     r"|npuprobe: warning: )(.*)$")
DISABLED_INFO = "disabled by NPUPROBE_DISABLE: every call is forwarded untouched"


class ConfigMessagesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.runs = 0

    def tearDown(self):
        self.tmp.cleanup()

    def sim(self, extra):
        """npu-sim under the preload with `extra` in its environment: (warning lines, stderr,
        files left in the store folder)."""
        self.runs += 1
        folder = os.path.join(self.tmp.name, f"store{self.runs}")
        os.mkdir(folder)
        env = npuprobe_run.preload_env(folder, extra)
        proc = run_bounded([NPU_SIM, "--steps", "2", "--launches", "1"], env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        warnings = [m.group(1) for m in map(WARNING.match, proc.stderr.splitlines()) if m]
        return warnings, proc.stderr, sorted(os.listdir(folder))

    def check(self, extra):
        """`npuprobe check` with the environment npu-sim got (less LD_PRELOAD, plus the mock
        CANN): its configuration FAIL lines, less "FAIL  " and, for files, "config: "."""
        folder = os.path.join(self.tmp.name, "check")
        os.makedirs(folder, exist_ok=True)
        env = npuprobe_run.preload_env(folder, extra, preload=False)
        env["LD_LIBRARY_PATH"] = MOCK_LIB
        out = run_bounded([CLI, "check"], env=env)
        lines = []
        for line in out.stdout.splitlines():
            if line.startswith("FAIL  environment: "):
                lines.append(line[len("FAIL  "):])
            elif line.startswith("FAIL  config: "):
                lines.append(line[len("FAIL  config: "):])
        return lines

    def test_disable_takes_the_usual_spellings(self):
        for value in ("yes", "On", "TRUE"):
            with self.subTest(value=value):
                warnings, stderr, files = self.sim({"NPUPROBE_DISABLE": value})
                self.assertEqual(files, [], "a disabled process writes no store file")
                self.assertEqual(warnings, [], stderr)
                self.assertIn(DISABLED_INFO, stderr)
                self.assertEqual(self.check({"NPUPROBE_DISABLE": value}), [])
        for value in ("no", "Off", "false"):
            with self.subTest(value=value):
                warnings, stderr, files = self.sim({"NPUPROBE_DISABLE": value})
                self.assertEqual(warnings, [], stderr)
                self.assertNotIn(DISABLED_INFO, stderr)
                self.assertTrue(any(f.startswith("counter_") for f in files), files)
                self.assertEqual(self.check({"NPUPROBE_DISABLE": value}), [])

    def test_a_refused_disable_is_said_and_disables(self):
        warnings, stderr, files = self.sim({"NPUPROBE_DISABLE": "maybe"})
        expected = [f'environment: NPUPROBE_DISABLE: "maybe" is not one of {BOOLEANS}; taken as '
                    f'1: npuprobe is disabled (unset it or set 0 to instrument)']
        self.assertEqual(warnings, expected, stderr)
        self.assertIn(DISABLED_INFO, stderr)
        self.assertEqual(files, [])
        self.assertEqual(self.check({"NPUPROBE_DISABLE": "maybe"}), expected)

    def test_every_refused_variable_gets_the_line_check_prints(self):
        extra = {"NPUPROBE_OP_LABEL": "2", "NPUPROBE_LISTEN": "garbage",
                 "NPUPROBE_ATTRIBUTION": "\x1b[31mred", "NPUPROBE_FLUSH_MS": "fast",
                 "NPUPROBE_LOG_LEVEL": "loud"}
        expected = [
            'environment: NPUPROBE_FLUSH_MS: expected an integer, got "fast"; ignored',
            'environment: NPUPROBE_LISTEN: "garbage" is not host:port (port 0..65535) or off; '
            'ignored',
            'environment: NPUPROBE_LOG_LEVEL: "loud" is not one of trace, debug, info, warn, '
            'error, critical, off; ignored',
            f'environment: NPUPROBE_OP_LABEL: "2" is not one of {BOOLEANS}; ignored',
            f'environment: NPUPROBE_ATTRIBUTION: "\\x1b[31mred" is not one of {BOOLEANS}; '
            f'ignored',
        ]
        warnings, stderr, files = self.sim(extra)
        self.assertEqual(warnings, expected, stderr)
        self.assertNotIn("\x1b", stderr, "no raw escape reaches the log")
        self.assertTrue(any(f.endswith(".db") for f in files), files)  # instrumented, defaults
        self.assertEqual(self.check(extra), expected)

    def test_a_file_with_seven_bad_values_says_how_many_more(self):
        path = os.path.join(self.tmp.name, "npuprobe.yaml")
        with open(path, "w") as f:
            f.write("store:\n"
                    "  flush_interval_ms: 5\n"
                    "  format: v9\n"
                    "exposer:\n"
                    "  listen: nowhere\n"
                    "phases:\n"
                    "  min_launches_per_step: -1\n"
                    "memory:\n"
                    "  sample_hz: 99\n"
                    "logging:\n"
                    "  level: loud\n"
                    "op_label: maybe\n")
        extra = {"NPUPROBE_CONFIG": path}
        every = self.check(extra)
        self.assertEqual(len(every), 7, every)
        self.assertEqual([line.split(": ")[0] for line in every],
                         [f"{path}:{n}" for n in (2, 3, 5, 7, 9, 11, 12)])
        warnings, stderr, _ = self.sim(extra)
        self.assertEqual(warnings, every[:5] + [
            "2 more configuration problems suppressed (`npuprobe check` with the same "
            "environment prints every one)"], stderr)


if __name__ == "__main__":
    unittest.main()
