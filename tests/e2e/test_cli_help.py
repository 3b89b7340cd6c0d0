#!/usr/bin/python3
"""`npuprobe --help`, `npuprobe <command> --help` and `-h` for every command: the usage on stdout,
exit 0; an unknown command is exit 2 with the list on stderr.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_cli_help
"""
import subprocess
import unittest

from npuprobe_run import CLI


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)


class HelpTest(unittest.TestCase):
    def commands(self):
        out = cli("--help")
        self.assertEqual(out.returncode, 0, out.stderr)
        names = [line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ")]
        self.assertGreaterEqual(len(names), 10, out.stdout)
        return names

    def test_every_command_answers_help_with_its_usage(self):
        for name in self.commands():
            for flag in ("--help", "-h"):
                with self.subTest(command=name, flag=flag):
                    out = cli(name, flag)
                    self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                    self.assertTrue(out.stdout.startswith(f"usage: npuprobe {name}"), out.stdout)
                    self.assertEqual(len(out.stdout.splitlines()), 2, out.stdout)
                    self.assertEqual(out.stderr, "")

    def test_an_unknown_command_is_an_error(self):
        out = cli("no-such-command")
        self.assertEqual(out.returncode, 2)
        self.assertIn("npuprobe: unknown command 'no-such-command'", out.stderr)
        self.assertEqual(out.stdout, "")


if __name__ == "__main__":
    unittest.main()
