"""Writers killed at random instants: SIGKILL lands anywhere in npuprobe's flush (a new file
being created, an entry half written, a rename), and both readers must still read every folder
the killed writers leave: `npuprobe dump` and the real prometheus_client's MultiProcessCollector
(Debian's 0.16 for store format v1; the vendored 0.25.0 for v2, on PYTHONPATH). Readers run
while the writers write too. Once every writer is dead, both readers agree exactly, and what a
killed writer had published is never lost by a later round (the totals only grow).

The seed of the kill instants is printed; NPUPROBE_KILL_SEED=<n> replays a run.
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from hostile import NPU_SIM, run_bounded
from npuprobe_run import CLI, SANITIZED, SLOWDOWN, Samples, preload_env

VENDOR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                      "vendor", "client_python"))
ROUNDS = 6 if SANITIZED else 10
WRITERS = 3
PYTHON = "/usr/bin/python3"

READER = r"""
import sys
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
registry = CollectorRegistry()
MultiProcessCollector(registry, path=sys.argv[1])
sys.stdout.write(generate_latest(registry).decode())
"""


_said_no_vendor = []  # the missing tree is named once per run, not once per folder


def python_reader_env(fmt):
    """(env, what) for the prometheus_client release that reads `fmt`; None when the vendored
    tree is missing outside CI (a user's clone has no ../shared)."""
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if fmt == "v1":
        return env, "Debian's prometheus_client"
    tree = os.path.join(VENDOR, "0.25.0")
    if not os.path.isdir(os.path.join(tree, "prometheus_client")):
        if os.environ.get("CI") == "true":
            raise AssertionError(f"no vendored prometheus_client at {tree} (CI must have it)")
        if not _said_no_vendor:
            _said_no_vendor.append(tree)
            print(f"note: no vendored prometheus_client at {tree}: format v2 folders are read "
                  "by `npuprobe dump` only (the Python reader is skipped)", file=sys.stderr)
        return None
    env["PYTHONPATH"] = tree
    return env, "prometheus_client 0.25.0"


def totals(text, name):
    """The summed value of one npuprobe counter in an exposition."""
    return Samples(text).value(name)


class KilledWritersTest(unittest.TestCase):
    def _read_both(self, folder, fmt):
        dumped = run_bounded([CLI, "dump", "--dir", folder])
        self.assertEqual(dumped.returncode, 0, dumped.stderr)
        reader = python_reader_env(fmt)
        python = None
        if reader is not None:
            env, what = reader
            python = run_bounded([PYTHON, "-c", READER, folder], env=env)
            self.assertEqual(python.returncode, 0, f"{what} failed on {sorted(os.listdir(folder))}:"
                             f"\n{python.stderr[-3000:]}")
        return dumped.stdout, python.stdout if python else None

    def _run_format(self, fmt, seed):
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as folder:
            # The shortest flush interval (10 ms): kills land in or near a flush.
            env = preload_env(folder, {"NPUPROBE_FLUSH_MS": "10", "NPUPROBE_STORE_FORMAT": fmt})
            previous = 0.0
            for round_ in range(ROUNDS):
                writers = [subprocess.Popen(
                    [NPU_SIM, "--steps", "1000000", "--launches", "3", "--host-gap-us", "200",
                     "--device-us", "50", "--devices", str(w % 2)],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for w in range(WRITERS)]
                try:
                    # Read while they write, then kill each at its own random instant (later
                    # under emulation, NPUPROBE_SLOWDOWN: the writers start that much slower).
                    time.sleep(rng.uniform(0.05, 0.4) * SLOWDOWN)
                    self._read_both(folder, fmt)
                    for writer in writers:
                        time.sleep(rng.uniform(0.0, 0.05) * SLOWDOWN)
                        writer.send_signal(signal.SIGKILL)
                finally:
                    for writer in writers:
                        writer.kill()
                        writer.wait(30)
                dumped, python = self._read_both(folder, fmt)
                launches = totals(dumped, "npu:launches_total")
                where = f"seed {seed}, round {round_}"
                self.assertGreaterEqual(launches, previous, f"{where}: published launches lost")
                self.assertGreater(launches, previous, f"{where}: the killed writers published "
                                   "nothing (did they start?)")
                previous = launches
                if python is not None:
                    for name in ("npu:launches_total", "npu:steps_total", "npu:syncs_total"):
                        self.assertEqual(totals(python, name), totals(dumped, name),
                                         f"{where}: {name}: prometheus_client and npuprobe dump "
                                         "disagree")

    def test_v1_and_v2_folders_survive_kills_at_random_instants(self):
        seed = int(os.environ.get("NPUPROBE_KILL_SEED", random.randrange(1 << 30)))
        print(f"kill seed {seed} (NPUPROBE_KILL_SEED={seed} replays it)", file=sys.stderr)
        for fmt in ("v1", "v2"):
            with self.subTest(format=fmt):
                self._run_format(fmt, seed)


if __name__ == "__main__":
    unittest.main()
