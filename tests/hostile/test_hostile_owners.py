#!/usr/bin/python3
"""Folders, the process registry and the control segment on a hostile host (issue 15): another
user (nobody) prepares the folders npuprobe makes, plants links, FIFOs and crafted records,
truncates the 0666 control segment and its semaphore while they are in use, and writes pids into
the pid ring. Every test here failed on the code before the fix (a hang, SIGBUS, a file written
through a link, a foreign folder written into, escapes on the terminal, a stray SIGUSR1).

Run (as root): NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_hostile_owners
"""
import json
import os
import platform
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

from hostile import (CLI, IS_ROOT, NOBODY, NPU_SIM, as_nobody, run_bounded)
from npuprobe_run import dump, preload_env

HERE = os.path.dirname(os.path.abspath(__file__))
SWITCH_PEER = os.path.join(HERE, "..", "e2e", "switch_peer.py")
PYTHON = "/usr/bin/python3"
MAGIC, END = 0x4D534D54, 0xDEADBEEF

# Runs the argv in argv[1] (JSON, "{pid}" replaced by this process's pid) and then execs
# argv[2:]: an attacker's step that must know the pid (the registry entry's name, the session id
# in the private folder's name) before the instrumented program starts under that same pid.
PLANT_THEN_EXEC = (
    "import json, os, subprocess, sys\n"
    "plant = [a.replace('{pid}', str(os.getpid())) for a in json.loads(sys.argv[1])]\n"
    "subprocess.run(plant, check=True)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n")


def plant_then_exec(plant_argv, argv, env, **kwargs):
    return run_bounded([PYTHON, "-c", PLANT_THEN_EXEC, json.dumps(plant_argv)] + argv, env=env,
                       **kwargs)


# futex(2) in /proc/<pid>/syscall: the process sleeps in sem_timedwait.
FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())


def waits_on_futex(pid, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                if f.read().split(" ", 1)[0] == str(FUTEX):
                    return True
        except OSError:
            return False
        time.sleep(0.02)
    return False


def segment_path(prefix):
    return "/dev/shm/" + prefix.lstrip("/") + "_control"


def semaphore_path(prefix):
    return "/dev/shm/sem." + prefix.lstrip("/") + "_semaphore"


def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def record(pid, command, dp, folder, fmt=b"v2"):
    """A registry record as a process writes it (config/src/process_registry.cc, 1024 bytes)."""
    def text(value, size):
        return value[:size - 1].ljust(size, b"\0")
    data = b"NPUPROC1" + struct.pack("<QqQQQqI", 2, pid, 0, 1, 0, 0, 1)
    data += text(fmt, 4) + text(dp, 32) + text(folder, 384) + text(command, 512)
    return data.ljust(1024, b"\0")


@unittest.skipUnless(IS_ROOT, "the attacker runs as nobody: needs root")
class HostileOwnersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="npuprobe-hostile-owners-")
        os.chmod(self.tmp, 0o755)
        # A folder nobody may create things in (as in /tmp or /dev/shm).
        self.shared = os.path.join(self.tmp, "shared")
        os.mkdir(self.shared)
        os.chmod(self.shared, 0o1777)
        self.prefix = f"/npuprobe_hostile_{os.getpid()}_{self.id().split('.')[-1][:24]}"
        self.store = os.path.join(self.tmp, "store")
        os.mkdir(self.store)
        self.cleanup = [segment_path(self.prefix), semaphore_path(self.prefix)]

    def tearDown(self):
        for path in self.cleanup:
            remove(path)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, folder, **extra):
        extra.setdefault("MS_SERVICE_METRIC_SHM_PREFIX", self.prefix)
        extra.setdefault("NPUPROBE_REGISTRY_DIR", os.path.join(self.tmp, "registry"))
        return preload_env(folder, extra)

    def cli(self, *args, limit_s=20):
        return run_bounded([CLI, *args], limit_s=limit_s,
                           env=dict(os.environ, MS_SERVICE_METRIC_SHM_PREFIX=self.prefix))

    # --- the process registry ------------------------------------------------------------------

    def test_registry_folder_made_by_nobody_is_refused_and_its_link_not_followed(self):
        registry = os.path.join(self.shared, "registry")
        victim = os.path.join(self.tmp, "root-owned.conf")
        with open(victim, "wb") as f:
            f.write(b"root's data\n")
        plant = as_nobody(["/bin/sh", "-c", f"mkdir {registry} && chmod 0777 {registry} && "
                           f"ln -s {victim} {registry}/{{pid}}.proc"])
        proc = plant_then_exec(plant, [NPU_SIM, "--steps", "5", "--launches", "2"],
                               self.env(self.store, NPUPROBE_REGISTRY_DIR=registry))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), b"root's data\n", "the link's target is untouched")
        self.assertIn(f"process registry: {registry}: belongs to uid {NOBODY.pw_uid}, not to this "
                      f"user (uid 0) (refused); `npuprobe status` will not list this process",
                      proc.stderr)
        self.assertEqual(dump(self.store).value("npu:steps_total"), 5)

    def test_a_fifo_entry_does_not_hang_status(self):
        registry = os.path.join(self.tmp, "registry")
        os.mkdir(registry, 0o700)
        os.mkfifo(os.path.join(registry, "4242.proc"))
        with open(os.path.join(registry, "4243.proc"), "wb") as f:
            f.write(b"short")
        out = run_bounded([CLI, "status", "--registry", registry], limit_s=15,
                          env=dict(os.environ, MS_SERVICE_METRIC_SHM_PREFIX=self.prefix))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("0 instrumented process(es) in " + registry, out.stdout)
        self.assertIn("skipped 4242.proc: is a FIFO, not a regular file\n", out.stdout)
        self.assertIn("skipped 4243.proc: is 5 bytes, not a registry record (1024)\n", out.stdout)

    def test_a_crafted_record_is_printed_escaped(self):
        registry = os.path.join(self.tmp, "registry")
        os.mkdir(registry, 0o700)
        with open(os.path.join(registry, f"{os.getpid()}.proc"), "wb") as f:
            f.write(record(os.getpid(), b"evil\x1b[2J\x1b]0;owned\x07 \xc2\x9b31m",
                           b"\x1b[31m", b"/x\r\n"))
        out = run_bounded([CLI, "status", "--registry", registry], limit_s=15,
                          env=dict(os.environ, MS_SERVICE_METRIC_SHM_PREFIX=self.prefix))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("\x1b", out.stdout)
        self.assertNotIn("\r", out.stdout)
        row = [l for l in out.stdout.splitlines() if l.startswith(str(os.getpid()))]
        self.assertEqual(len(row), 1, out.stdout)
        self.assertIn(" \\x1b[31m ", row[0])
        self.assertIn(" /x\\x0d\\x0a ", row[0])
        self.assertTrue(row[0].endswith(" evil\\x1b[2J\\x1b]0;owned\\x07 \\xc2\\x9b31m"), row[0])

    # --- the private store folder and `npuprobe run --dir` -------------------------------------

    def run_in_own_session(self, plant):
        """npu-sim in a new session (sid = its pid) without PROMETHEUS_MULTIPROC_DIR: the private
        folder is /dev/shm/npuprobe-0-<pid>, prepared by `plant` ("{pid}" in it) beforehand."""
        env = self.env(None, NPUPROBE_LISTEN="off")
        proc = subprocess.Popen(
            [PYTHON, "-c", PLANT_THEN_EXEC, json.dumps(plant), NPU_SIM, "--steps", "5",
             "--launches", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        planted = f"/dev/shm/npuprobe-0-{proc.pid}"
        self.cleanup.append(planted)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("npu-sim hung") from None
        self.assertEqual(proc.returncode, 0, stderr)
        return planted, stderr

    def check_fresh_folder(self, planted, stderr, why):
        head = f"private store folder refused: {planted}: {why}; this process publishes into "
        self.assertIn(head, stderr)
        fresh = stderr.split(head, 1)[1].split(" instead", 1)[0]
        self.cleanup.append(fresh)
        self.assertRegex(fresh, "^" + planted + r"\.[A-Za-z0-9]{6}$")
        info = os.lstat(fresh)
        self.assertEqual((info.st_uid, info.st_mode & 0o7777), (0, 0o700))
        self.assertEqual(dump(fresh).value("npu:steps_total"), 5)

    def test_private_store_folder_made_by_nobody_is_refused(self):
        plant = as_nobody(["/bin/sh", "-c",
                           "mkdir /dev/shm/npuprobe-0-{pid} && chmod 0777 /dev/shm/npuprobe-0-{pid}"])
        planted, stderr = self.run_in_own_session(plant)
        self.assertEqual(os.listdir(planted), [], "nothing written into nobody's folder")
        self.check_fresh_folder(planted, stderr,
                                f"belongs to uid {NOBODY.pw_uid}, not to this user (uid 0)")

    def test_private_store_folder_that_is_a_link_is_refused(self):
        target = os.path.join(self.shared, "nobody-store")
        plant = as_nobody(["/bin/sh", "-c",
                           f"mkdir -m 0755 {target} && ln -s {target} /dev/shm/npuprobe-0-{{pid}}"])
        planted, stderr = self.run_in_own_session(plant)
        self.assertTrue(os.path.islink(planted))
        self.assertEqual(os.listdir(target), [], "nothing written through the link")
        self.check_fresh_folder(planted, stderr, "is a symbolic link, not a directory")

    def test_run_refuses_a_store_folder_of_another_user(self):
        folder = os.path.join(self.shared, "prom")
        run_bounded(as_nobody(["/bin/sh", "-c", f"mkdir {folder} && chmod 0777 {folder}"]))
        out = run_bounded([CLI, "run", "--dir", folder, "--", "/bin/echo", "started"])
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertEqual(out.stdout, "")
        self.assertEqual(out.stderr, f"npuprobe run: store folder {folder} refused: belongs to uid "
                                     f"{NOBODY.pw_uid}, not to this user (uid 0)\n")

    # --- the control segment -------------------------------------------------------------------

    def test_segment_truncated_by_nobody_while_the_app_runs(self):
        self.assertIn("ON", self.cli("on").stdout)
        path = segment_path(self.prefix)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o666)
        attacker = subprocess.Popen(as_nobody([
            PYTHON, "-c",
            "import os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "size = os.fstat(fd).st_size\n"
            "os.ftruncate(fd, 0)\n"
            "os.ftruncate(fd, size)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    os.ftruncate(fd, 0)\n"
            "    os.ftruncate(fd, size)\n", path]), stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(attacker.stdout.readline().strip(), "ready")
            proc = run_bounded([NPU_SIM, "--steps", "3000", "--launches", "2", "--host-gap-us",
                                "500"], env=self.env(self.store, NPUPROBE_FLUSH_MS="10"))
        finally:
            attacker.kill()
            attacker.wait()
            attacker.stdout.close()
        self.assertEqual(proc.returncode, 0, f"npu-sim ended with {proc.returncode}: "
                                             f"{proc.stderr[-2000:]}")
        self.assertIn("keeping the last state (ON)", proc.stderr)
        self.assertEqual(dump(self.store).value("npu:steps_total"), 3000)

    def test_a_fifo_at_the_segment_path_hangs_nothing(self):
        path = segment_path(self.prefix)
        run_bounded(as_nobody([PYTHON, "-c", f"import os; os.mkfifo({path!r}, 0o666)"]))
        proc = run_bounded([NPU_SIM, "--steps", "5", "--launches", "2"],
                           env=self.env(self.store), limit_s=20)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"runtime switch: {path}: is a FIFO, not a regular file; keeping the last "
                      f"state (ON)", proc.stderr)
        self.assertEqual(dump(self.store).value("npu:steps_total"), 5)
        status = self.cli("status", "--registry", os.path.join(self.tmp, "none"))
        self.assertEqual(status.returncode, 1)
        self.assertIn(f"switch {self.prefix}_control: unusable: {path}: is a FIFO, not a regular "
                      f"file (processes keep their last state)\n", status.stdout)
        off = self.cli("off")
        self.assertEqual(off.returncode, 1)
        self.assertEqual(off.stderr, f"npuprobe off: {path}: is a FIFO, not a regular file\n")

    def nobody_semaphore(self, script):
        """A semaphore nobody created first (mode 0666, as ms_service_metric's processes of any
        user must open it), then `script` run by nobody on it (Python, `sem` and `path` set)."""
        name = self.prefix + "_semaphore"
        return subprocess.Popen(as_nobody([
            PYTHON, "-c",
            "import ctypes, os, sys, time\n"
            "libc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
            "libc.sem_open.restype = ctypes.c_void_p\n"
            "os.umask(0)\n"
            f"sem = libc.sem_open({name.encode()!r}, os.O_CREAT, 0o666, 1)\n"
            f"path = {semaphore_path(self.prefix)!r}\n" + script]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def test_an_empty_semaphore_file_is_refused(self):
        attacker = self.nobody_semaphore("os.truncate(path, 0)\nprint('ready', flush=True)\n")
        self.assertEqual(attacker.stdout.readline().strip(), "ready")
        attacker.stdin.close()
        attacker.wait()
        attacker.stdout.close()
        out = self.cli("off")
        self.assertEqual(out.returncode, 1, f"ended with {out.returncode}: {out.stderr}")
        self.assertEqual(out.stderr, f"npuprobe off: {semaphore_path(self.prefix)}: is 0 bytes, "
                                     f"not a semaphore\n")

    def test_a_semaphore_truncated_while_waited_on_is_survived(self):
        attacker = self.nobody_semaphore(
            "libc.sem_wait(ctypes.c_void_p(sem))\n"  # held: `npuprobe off` waits
            "print('ready', flush=True)\n"
            "sys.stdin.readline()\n"  # the test says when `npuprobe off` is waiting
            "os.truncate(path, 0)\n"
            "time.sleep(30)\n")
        self.attacker_input = attacker.stdin
        try:
            self.assertEqual(attacker.stdout.readline().strip(), "ready")
            off = subprocess.Popen([CLI, "off"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True,
                                   env=dict(os.environ, MS_SERVICE_METRIC_SHM_PREFIX=self.prefix))
            self.assertTrue(waits_on_futex(off.pid), "npuprobe off never waited on the semaphore")
            self.attacker_input.write("go\n")
            self.attacker_input.flush()
            _, stderr = off.communicate(timeout=30)
        finally:
            attacker.kill()
            attacker.wait()
            attacker.stdout.close()
            self.attacker_input.close()
        self.assertEqual(off.returncode, 1, f"ended with {off.returncode}: {stderr}")
        self.assertEqual(stderr, f"npuprobe off: {self.prefix}_semaphore: truncated by another "
                                 f"process while waiting on it (nothing written)\n")

    # --- the pid ring --------------------------------------------------------------------------

    def peer(self, *args, nobody=False):
        argv = [PYTHON, SWITCH_PEER, self.prefix, "--wait", "8", *args]
        peer = subprocess.Popen(as_nobody(argv) if nobody else argv, stdout=subprocess.PIPE,
                                text=True)
        self.assertEqual(peer.stdout.readline().strip(), "ready")
        return peer

    def test_pid_ring_written_by_nobody_signals_no_unrelated_process(self):
        self.assertIn("ON", self.cli("on").stdout)
        path = segment_path(self.prefix)
        registered = self.peer("--join")  # ms_service_metric's own process (root's)
        victim = self.peer("--no-map")    # root's, handles SIGUSR1 for its own reasons
        stranger = self.peer("--join", nobody=True)  # nobody's, registered itself
        # nobody appends root's unrelated process to the ring, as add_process would.
        run_bounded(as_nobody([
            PYTHON, "-c",
            "import struct, sys\n"
            "with open(sys.argv[1], 'r+b') as f:\n"
            "    head = f.read(36)\n"
            "    length, cursor = struct.unpack_from('<2I', head, 28)\n"
            "    f.seek(36 + 4 * (cursor % length)); f.write(struct.pack('<I', int(sys.argv[2])))\n"
            "    f.seek(32); f.write(struct.pack('<I', (cursor + 1) % length))\n",
            path, str(victim.pid)]))
        try:
            out = self.cli("off")
            results = {name: p.stdout.readline().strip() for name, p in
                       (("registered", registered), ("victim", victim), ("stranger", stranger))}
        finally:
            for p in (registered, victim, stranger):
                p.kill()
                p.wait()
                p.stdout.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(results, {"registered": "signalled", "victim": "timeout",
                                   "stranger": "timeout"})
        self.assertIn("signalled 1 process(es), skipped 2, cleared 0 dead\n", out.stdout)
        self.assertIn(f"  skipped 1: not an instrumented process (does not map {path}): "
                      f"{victim.pid}\n", out.stdout)
        self.assertIn(f"  skipped 1: not of uid 0: {stranger.pid}\n", out.stdout)


if __name__ == "__main__":
    unittest.main()
