#!/usr/bin/python3
"""Files that are not what they seem (issue 15, docs/hostile-host.md "Files"): a FIFO where
npuprobe reads its configuration, writes its log or finds a store file; a sparse store file whose
header claims its whole size; a link planted where a root process writes the sites file. Each
must cost the application nothing: it finishes with exact counts, the file is named in one line
and skipped, and nothing is written through a link.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_hostile_files
"""
import json
import os
import re
import resource
import signal
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from hostile import CLI, IS_ROOT, NPU_SIM, as_nobody, npuprobe_run, run_bounded
from test_runtime_switch import remove_segment, write_segment

ARGS = ["--steps", "20", "--launches", "3"]


def steps_launches(samples):
    return samples.value("npu:steps_total"), samples.value("npu:launches_total")


def parse(text):
    return npuprobe_run.Samples(text)


def run_measured(argv, limit_s, env=None):
    """Runs argv with stdout/stderr to files; returns (returncode, stdout, stderr, max RSS in
    bytes, wall seconds) of that child alone (wait4), killing it after limit_s (a failure)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        # 4 GiB of address space at most: the reader before the fix allocated what a sparse
        # file's header claimed (gigabytes); it fails here instead of starving the machine.
        # Not in sanitizer builds: their shadow memory reserves terabytes of address space (the
        # RSS bound below still holds there).
        def cap():
            if not npuprobe_run.SANITIZED:
                resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, preexec_fn=cap)
        timer = threading.Timer(limit_s, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        if wall >= limit_s:
            raise AssertionError(f"hung for {limit_s} s: {' '.join(argv)}\n{err.read()}")
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss * 1024, wall


def sparse_db(path, size):
    """A file of `size` bytes, all holes but a header whose `used` claims the whole file."""
    with open(path, "wb") as f:
        f.truncate(size)
        f.write(struct.pack("<i", min(size, 2**31 - 1)))


class FilesCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "store")
        os.mkdir(self.folder)
        self.report = os.path.join(self.tmp.name, "report.json")

    def tearDown(self):
        self.tmp.cleanup()

    def open_to_nobody(self):
        """Lets user nobody reach the test's folder (TemporaryDirectory makes it 0700)."""
        os.chmod(self.tmp.name, 0o755)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def sim(self, extra=None, args=ARGS):
        """npu-sim under npuprobe, bounded; must succeed. Returns (stderr, device-0 truth)."""
        env = npuprobe_run.preload_env(self.folder, extra)
        proc = run_bounded([NPU_SIM, "--report", self.report] + args, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(self.report) as f:
            return proc.stderr, json.load(f)["devices"]["0"]

    def dump(self, expect_rc=0):
        out = run_bounded([CLI, "dump", "--dir", self.folder], limit_s=30)
        self.assertEqual(out.returncode, expect_rc, out.stderr)
        return parse(out.stdout), out.stderr

    def assert_exact(self, samples, truth):
        self.assertEqual(steps_launches(samples), (truth["steps"], truth["launches"]["aclnn"]))


class ConfigFifoTest(FilesCase):
    """A FIFO where the configuration file is named: read without blocking, refused by name."""

    def test_fifo_as_npuprobe_config_and_service_profiler_json(self):
        for variable in ("NPUPROBE_CONFIG", "SERVICE_PROF_CONFIG_PATH"):
            with self.subTest(variable=variable):
                fifo = self.path(f"fifo-{variable}")
                os.mkfifo(fifo)
                other = "SERVICE_PROF_CONFIG_PATH" if variable == "NPUPROBE_CONFIG" else \
                    "NPUPROBE_CONFIG"
                stderr, truth = self.sim({variable: fifo, other: ""})
                line = f"{fifo}: cannot read: is a FIFO, not a regular file; file ignored"
                self.assertEqual(stderr.count(line), 1, stderr)
                self.assert_exact(self.dump()[0], truth)
                for name in os.listdir(self.folder):
                    os.unlink(os.path.join(self.folder, name))

    def test_check_names_the_fifo_promptly(self):
        fifo = self.path("npuprobe.yaml")
        os.mkfifo(fifo)
        env = dict(os.environ, SERVICE_PROF_CONFIG_PATH="")
        started = time.monotonic()
        out = run_bounded([CLI, "check", "--config", fifo, "--dir", self.folder], limit_s=30,
                          env=env)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn(f"FAIL  config: {fifo}: cannot read: is a FIFO, not a regular file; file "
                      "ignored", out.stdout)

    def test_fifo_swapped_in_before_restart(self):
        registry = self.path("registry")
        prefix = f"/npuprobe_hf_{os.getpid()}"
        yaml = self.path("npuprobe.yaml")
        log = self.path("npuprobe.log")
        with open(yaml, "w") as f:
            f.write(f"logging:\n  file: {log}\n  level: info\n")
        extra = {"NPUPROBE_CONFIG": yaml, "NPUPROBE_REGISTRY_DIR": registry,
                 "MS_SERVICE_METRIC_SHM_PREFIX": prefix, "SERVICE_PROF_CONFIG_PATH": ""}
        env = npuprobe_run.preload_env(self.folder, extra)
        write_segment(prefix, on=True, timestamp=1000)  # so that the restart is a change
        sim = subprocess.Popen([NPU_SIM, "--report", self.report, "--steps", "3000",
                                "--launches", "2", "--host-gap-us", "1000"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            cli_env = dict(os.environ, **extra)
            # Started and publishing: its row is in `npuprobe status`.
            self.assertTrue(npuprobe_run.wait_until(
                lambda: str(sim.pid) in run_bounded([CLI, "status"], env=cli_env).stdout))
            fifo = self.path("swap")
            os.mkfifo(fifo)
            os.rename(fifo, yaml)
            out = run_bounded([CLI, "restart"], env=cli_env)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            line = f"{yaml}: cannot read: is a FIFO, not a regular file; file ignored"

            def logged():
                with open(log) as f:
                    return line in f.read()
            if not npuprobe_run.wait_until(logged, timeout=30):
                with open(log) as f:
                    self.fail(f"no line naming it in the log:\n{f.read()}")
            _, stderr = sim.communicate(timeout=120)
        finally:
            if sim.poll() is None:
                sim.kill()
                sim.communicate()
            remove_segment(prefix)
        self.assertEqual(sim.returncode, 0, stderr)
        with open(self.report) as f:
            truth = json.load(f)["devices"]["0"]
        self.assert_exact(self.dump()[0], truth)
        with open(log) as f:
            self.assertEqual(f.read().count(line), 1)


class LogFileTest(FilesCase):
    """logging.file: never blocks on a FIFO, never writes through a link."""

    def yaml(self, log):
        path = self.path("npuprobe.yaml")
        with open(path, "w") as f:
            f.write(f"logging:\n  file: {log}\n  level: info\n")
        return {"NPUPROBE_CONFIG": path, "SERVICE_PROF_CONFIG_PATH": ""}

    def test_fifo_as_log_file(self):
        fifo = self.path("npuprobe.log")
        os.mkfifo(fifo)
        stderr, truth = self.sim(self.yaml(fifo))
        line = (f"[warning] cannot open log file {fifo}: is a FIFO, not a regular file; "
                "logging to stderr")
        self.assertEqual(stderr.count(line), 1, stderr)
        self.assert_exact(self.dump()[0], truth)

    @unittest.skipUnless(IS_ROOT, "the attacker runs as nobody")
    def test_link_planted_as_log_file_by_nobody(self):
        self.open_to_nobody()
        shared = self.path("shared")
        os.mkdir(shared)
        os.chmod(shared, 0o777)  # a folder root logs into that nobody can write
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("root's file\n")
        log = os.path.join(shared, "npuprobe.log")
        run_bounded(as_nobody(["ln", "-s", victim, log]), limit_s=10).check_returncode()
        stderr, truth = self.sim(self.yaml(log))
        self.assertEqual(stderr.count(f"cannot open log file {log}: is a symbolic link; logging "
                                      "to stderr"), 1, stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "root's file\n")
        self.assert_exact(self.dump()[0], truth)


class StoreFifoTest(FilesCase):
    """A FIFO named like a prometheus_client file in the store folder."""

    def make_fifo(self):
        self.fifo = os.path.join(self.folder, "counter_77.db")
        os.mkfifo(self.fifo)
        self.reason = f"{self.fifo}: is a FIFO, not a regular file"

    def test_application_finishes_with_exact_counts(self):
        self.make_fifo()
        stderr, truth = self.sim()
        self.assertEqual(stderr.count(f"format detection skips {self.reason}"), 1, stderr)
        samples, errors = self.dump(expect_rc=1)
        self.assertEqual(errors, f"npuprobe: skipped: {self.reason}\n")
        self.assert_exact(samples, truth)

    def test_dump_and_top_finish(self):
        _, truth = self.sim()
        self.make_fifo()
        samples, errors = self.dump(expect_rc=1)
        self.assertEqual(errors, f"npuprobe: skipped: {self.reason}\n")
        self.assert_exact(samples, truth)
        top = run_bounded([CLI, "top", "--dir", self.folder, "--once"], limit_s=30)
        self.assertIn("[some files skipped: npuprobe dump names them]", top.stdout, top.stderr)

    def test_serve_answers_and_stops_on_sigterm(self):
        _, truth = self.sim()
        self.make_fifo()
        serve = subprocess.Popen([CLI, "serve", "--dir", self.folder, "--listen",
                                  "127.0.0.1:0"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            first = serve.stdout.readline()
            port = re.search(r"\(port (\d+)\)", first)
            self.assertIsNotNone(port, first)
            with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics",
                                        timeout=20) as response:
                self.assert_exact(parse(response.read().decode()), truth)
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=10)
        finally:
            if serve.poll() is None:
                serve.kill()
            _, stderr = serve.communicate()
        self.assertEqual(serve.returncode, 0, stderr)
        self.assertEqual(stderr.count(self.reason), 1, stderr)


class SparseDbTest(FilesCase):
    """A sparse `.db` whose header claims its size: refused or found corrupt at its first entry,
    never read whole at every flush."""

    def test_dump_refuses_a_2_gib_file_quickly_and_small(self):
        _, truth = self.sim()
        path = os.path.join(self.folder, "counter_99.db")
        sparse_db(path, 2 << 30)
        rc, out, err, rss, wall = run_measured([CLI, "dump", "--dir", self.folder], 30)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, f"npuprobe: skipped: {path}: is 2147483648 bytes, larger than "
                              "the limit of 256 MiB\n")
        self.assert_exact(parse(out), truth)
        self.assertLess(wall, 5)
        self.assertLess(rss, 100 << 20, f"max RSS {rss >> 20} MiB")

    def test_application_reads_a_64_mib_file_no_more_than_its_prefix(self):
        # The bound is the same run's RSS without the file plus 32 MiB: half of what reading the
        # file whole would add, whatever a sanitizer build's own footprint is (release: 17 MB
        # here, and 315 MB when the file was read whole; AddressSanitizer: about 100 MB).
        env = npuprobe_run.preload_env(self.folder)
        with tempfile.TemporaryDirectory() as alone:
            rc, _, err, baseline, _ = run_measured([NPU_SIM] + ARGS, 60,
                                                   npuprobe_run.preload_env(alone))
            self.assertEqual(rc, 0, err)
        path = os.path.join(self.folder, "counter_99.db")
        sparse_db(path, 64 << 20)
        rc, _, err, rss, _ = run_measured([NPU_SIM, "--report", self.report] + ARGS, 60, env)
        self.assertEqual(rc, 0, err)
        self.assertLess(rss, baseline + (32 << 20),
                        f"max RSS {rss >> 20} MiB, {baseline >> 20} MiB without the file")
        with open(self.report) as f:
            truth = json.load(f)["devices"]["0"]
        samples, errors = self.dump(expect_rc=1)
        self.assertEqual(errors, f"npuprobe: skipped: {path}: corrupt file, neither format v1 "
                         "nor v2 (as v1: empty key (entry at offset 8); as v2: empty key (entry "
                         "at offset 8))\n")
        self.assert_exact(samples, truth)


@unittest.skipUnless(IS_ROOT, "the attacker runs as nobody")
class StoreFileModeTest(FilesCase):
    def test_another_user_cannot_truncate_a_mapped_store_file(self):
        # umask 0: the old 0666 made every store file truncatable by anyone, and a truncated
        # mapping is SIGBUS at the writer's next store.
        self.open_to_nobody()
        env = npuprobe_run.preload_env(self.folder)
        sim = subprocess.Popen([NPU_SIM, "--report", self.report, "--steps", "400",
                                "--launches", "2", "--host-gap-us", "1000"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: os.umask(0))
        try:
            def ours():
                return sorted(n for n in os.listdir(self.folder) if n.endswith("-npu.db"))
            names = npuprobe_run.wait_until(ours)
            self.assertTrue(names, "no store file")
            for name in names:
                path = os.path.join(self.folder, name)
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o644, name)
                out = run_bounded(as_nobody(["truncate", "-s", "0", path]), limit_s=10)
                self.assertNotEqual(out.returncode, 0, name)
                self.assertIn("Permission denied", out.stderr)
            _, stderr = sim.communicate(timeout=120)
        finally:
            if sim.poll() is None:
                sim.kill()
                sim.communicate()
        self.assertEqual(sim.returncode, 0, stderr)
        with open(self.report) as f:
            truth = json.load(f)["devices"]["0"]
        self.assert_exact(self.dump()[0], truth)


@unittest.skipUnless(IS_ROOT, "the attacker runs as nobody")
class SitesLinkTest(FilesCase):
    def test_link_planted_at_the_sites_temporary_is_not_followed(self):
        self.open_to_nobody()
        os.chmod(self.folder, 0o777)  # nobody may make names in the folder root publishes into
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("root's file\n")
        config = self.path("npuprobe.yaml")
        with open(config, "w") as f:
            f.write("attribution:\n  slow_launch_us: 2000\n")
        env = npuprobe_run.preload_env(self.folder, {"NPUPROBE_CONFIG": config,
                                                     "SERVICE_PROF_CONFIG_PATH": ""})
        # The shell's pid is npu-sim's after exec: the link is there before npuprobe starts.
        plant = " ".join(as_nobody(["ln", "-s", victim, "$T"]))
        script = (f'T={self.folder}/.npuprobe_sites_$$.json.tmp$$; {plant} || exit 9; '
                  f'exec {NPU_SIM} --report {self.report} --steps 8 --launches 4 '
                  '--slow-launch-every 2 --slow-launch-us 5000')
        proc = run_bounded(["sh", "-c", script], env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "root's file\n")
        sites = [n for n in os.listdir(self.folder) if n.startswith("npuprobe_sites_")]
        self.assertEqual(len(sites), 1, os.listdir(self.folder))
        path = os.path.join(self.folder, sites[0])
        self.assertFalse(os.path.islink(path))
        with open(path) as f:
            self.assertGreater(len(json.load(f)["sites"]), 0)

    def test_sites_skips_a_fifo(self):
        fifo = os.path.join(self.folder, "npuprobe_sites_4242.json")
        os.mkfifo(fifo)
        out = run_bounded([CLI, "sites", "--dir", self.folder], limit_s=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"npuprobe sites: skipped {fifo}: is a FIFO, not a regular file",
                      out.stderr)


if __name__ == "__main__":
    unittest.main()
