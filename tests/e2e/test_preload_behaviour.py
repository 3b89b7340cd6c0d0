#!/usr/bin/python3
"""npuprobe never changes what the host process does, stays inert where it should, exports
only its own names and coexists with other preloads and with fork/spawn workers.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_preload_behaviour
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from npuprobe_run import (BUILD, FOREIGN_PRELOAD, FOREIGN_REASON, MOCK_LIB, NPU_SIM, PRELOAD,
                          SANITIZED, SLOWDOWN, TIME_SCALE, dump, preload_env, run_sim)

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_ARGS = ["--steps", "6", "--launches", "4", "--device-us", "50", "--binding", "opapi",
            "--task-queue"]


def jemalloc():
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"):
        path = os.path.join(d, "libjemalloc.so.2")
        if os.path.exists(path):
            return path
    return None


class BehaviourTest(unittest.TestCase):
    def test_same_output_and_exit_code_with_and_without_npuprobe(self):
        faults = [None, {"NPU_MOCK_FAIL": "aclrtSynchronizeStream:3:507015"},
                  {"NPU_MOCK_FAIL": "aclrtLaunchKernelWithHostArgs:5+:507015"},
                  {"NPU_MOCK_FAIL": "aclrtMallocAlign32:1:207001"}]
        for fault in faults:
            with self.subTest(fault=fault):
                bare, _, _, _ = run_sim(SIM_ARGS, fault, preload=False)
                probed, report, m, _ = run_sim(SIM_ARGS, fault)
                self.assertEqual(probed.returncode, bare.returncode, probed.stderr)
                self.assertEqual(probed.stdout, bare.stdout)
                self.assertEqual(probed.stderr, bare.stderr)
                # Every failed call npu-sim saw is one error with the injected code, under the
                # name the application called (the aclnn op for a failing nested launch).
                seen = sum(sum(t["errors"].values()) for t in report["devices"].values())
                if fault:
                    name, _, code = fault["NPU_MOCK_FAIL"].split(":")
                    self.assertGreater(seen, 0, report)
                    self.assertEqual(m.value("npu:api_errors_total", code=code), seen,
                                     m.text[:2000])
                    self.assertEqual(m.value("npu:api_errors_total"), seen)
                    if name == "aclrtLaunchKernelWithHostArgs":
                        self.assertEqual(m.label_values("npu:api_errors_total", "api"),
                                         ["aclnnAdd", "aclnnMatmul", "aclnnSilu"])
                    else:
                        self.assertEqual(m.value("npu:api_errors_total", api=name, code=code),
                                         seen)
                else:
                    self.assertEqual(seen, 0, report)
                    self.assertTrue(m.absent("npu:api_errors_total"), m.text[:2000])

    def test_injected_error_is_counted_once_with_its_code(self):
        proc, _, m, _ = run_sim(["--steps", "5", "--launches", "2"],
                                {"NPU_MOCK_FAIL": "aclrtSynchronizeStream:3:507015"})
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(m.value("npu:api_errors_total", api="aclrtSynchronizeStream",
                                 code="507015"), 1)

    def test_disable_forwards_everything_and_writes_nothing(self):
        proc, _, m, files = run_sim(SIM_ARGS, {"NPUPROBE_DISABLE": "1"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(files, [])

    @unittest.skipIf(FOREIGN_PRELOAD, "/bin/true, sh and python3 are x86-64: an aarch64 preload "
                     "cannot go into them (scripts/aarch64.sh)")
    def test_process_that_never_calls_acl_creates_no_file(self):
        with tempfile.TemporaryDirectory() as folder:
            for cmd in (["/bin/true"], ["/bin/sh", "-c", "echo hi >/dev/null"],
                        ["/usr/bin/python3", "-c", "import ctypes, json"]):
                proc = subprocess.run(cmd, env=preload_env(folder), capture_output=True,
                                      text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "")
            self.assertEqual(os.listdir(folder), [])

    @unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
    @unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
    def test_a_function_the_runtime_lacks_stays_missing_to_lookups(self):
        # Feature probes (dlsym of an optional entry point) must answer as without npuprobe:
        # missing while no runtime defines it, present once libascendcl is loaded.
        probe = ("import ctypes, sys\n"
                 "def has(lib, n):\n"
                 "    return hasattr(lib, n)\n"
                 "main = ctypes.CDLL(None)\n"
                 "before = has(main, 'aclrtLaunchKernelV2')\n"
                 "ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)\n"
                 "print(before, has(ctypes.CDLL(None), 'aclrtLaunchKernelV2'))\n")
        with tempfile.TemporaryDirectory() as folder:
            for preload in (False, True):
                proc = subprocess.run(["/usr/bin/python3", "-c", probe,
                                       os.path.join(MOCK_LIB, "libascendcl.so")],
                                      env=preload_env(folder, preload=preload),
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stdout.split(), ["False", "True"], (preload, proc.stderr))
                self.assertNotIn("npuprobe", proc.stderr)

    def test_exports_only_acl_rt_and_hccl_names_dlsym_dlclose_and_the_c_api(self):
        out = subprocess.run(["nm", "-D", "--defined-only", PRELOAD], capture_output=True,
                             text=True, check=True).stdout
        names = [line.split()[-1] for line in out.splitlines() if line.strip()]
        for wanted in ("aclrtLaunchKernel", "rtKernelLaunchWithFlagV2",
                       "rtAicpuKernelLaunchExWithArgs", "HcclAlltoAllV", "dlsym", "dlclose"):
            self.assertIn(wanted, names)
        for name in names:
            self.assertTrue(re.match(r"^(acl[A-Za-z0-9_]+|Hccl[A-Za-z0-9_]+|rtKernelLaunchWithFlagV2|"
                                     r"rtAicpuKernelLaunchExWithArgs|dlsym|dlclose|"
                                     r"npuprobe_[a-z_]+)$", name), name)

    def test_never_calls_the_public_dlsym_itself(self):
        out = subprocess.run(["readelf", "-rW", PRELOAD], capture_output=True, text=True,
                             check=True).stdout
        self.assertIsNone(re.search(r"\bdlsym\b", out), "a relocation against dlsym")

    @unittest.skipIf(SANITIZED, "sanitizer runtimes are linked in")
    def test_depends_on_nothing_beyond_glibc(self):
        # libstdc++ and libgcc are linked in (cmake/GlibcFloor.cmake): the host's own, of any
        # version, is never needed; libpthread, libdl and librt are where glibc < 2.34 keeps
        # what the floor calls; libm (glibc's too) gives std::to_chars the rounding mode
        # (fegetround), for the shortest float digits of `le` labels (store/src/python_float.cc).
        out = subprocess.run(["readelf", "-dW", PRELOAD], capture_output=True, text=True,
                             check=True).stdout
        # ld-linux only where the dynamic loader is called directly (x86-64's __tls_get_addr;
        # aarch64 uses TLS descriptors and needs none).
        needed = sorted(lib for lib in re.findall(r"NEEDED.*\[(.*)\]", out)
                        if not lib.startswith("ld-linux"))
        self.assertEqual(needed, ["libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0",
                                  "librt.so.1"])

    def test_rtld_next_of_another_library_is_computed_from_that_library(self):
        exe = os.path.join(BUILD, "tests", "bin", "rtld_next_main")
        env = preload_env(None)
        env["LD_LIBRARY_PATH"] = os.path.join(BUILD, "tests", "lib")
        proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.stdout.strip(), "11", proc.stderr)

    def test_rtld_next_before_npuprobe_is_constructed(self):
        # A library preloaded after npuprobe runs its constructor first: its dlsym(RTLD_NEXT)
        # meets npuprobe's dlsym before the real one is known (the trampoline resolves it then)
        # and is still answered from that library: the next which_layer is upper's, which adds
        # 10 to lower's 1, as without npuprobe.
        exe = os.path.join(BUILD, "tests", "bin", "rtld_next_main")
        early = os.path.join(BUILD, "tests", "lib", "librtld_next_early.so")
        for preload in (f"{PRELOAD} {early}", early):
            env = preload_env(None)
            env["LD_PRELOAD"] = preload
            env["LD_LIBRARY_PATH"] = os.path.join(BUILD, "tests", "lib")
            proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.stdout.split(), ["early", "11", "11"], (preload, proc.stderr))

    def test_acl_used_in_another_librarys_constructor(self):
        with tempfile.TemporaryDirectory() as folder:
            env = preload_env(folder)
            env["LD_LIBRARY_PATH"] = os.path.join(BUILD, "tests", "lib") + ":" + MOCK_LIB
            proc = subprocess.run([os.path.join(BUILD, "tests", "bin", "ctor_main")], env=env,
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.stdout.strip(), "0", proc.stderr)
            m = dump(folder)
        self.assertEqual(m.value("npu:memory:allocs_total"), 1)
        self.assertEqual(m.value("npu:memory:frees_total"), 1)
        self.assertEqual(m.value("npu:memory:allocated_bytes"), 0)

    def test_libmspti_before_npuprobe_is_reported_once(self):
        mspti = os.path.join(MOCK_LIB, "libmspti.so")
        with tempfile.TemporaryDirectory() as folder:
            env = preload_env(folder)
            env["LD_PRELOAD"] = mspti + " " + PRELOAD
            proc = subprocess.run([NPU_SIM] + SIM_ARGS, env=env, capture_output=True, text=True,
                                  timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.count("libmspti"), 1, proc.stderr)
        self.assertIn("npuprobe", proc.stderr)

    def test_npuprobe_before_libmspti_counts_everything(self):
        mspti = os.path.join(MOCK_LIB, "libmspti.so")
        proc, report, m, _ = run_sim(SIM_ARGS, {"LD_PRELOAD": PRELOAD + " " + mspti})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(m.value("npu:launches_total", api="aclnn"),
                         report["devices"]["0"]["launches"]["aclnn"])
        self.assertEqual(m.value("npu:steps_total"), 6)

    @unittest.skipIf(jemalloc() is None, "libjemalloc2 is not installed")
    @unittest.skipIf(SANITIZED, "a sanitizer runtime owns malloc; jemalloc cannot replace it")
    def test_jemalloc_before_or_after(self):
        for order in ((jemalloc(), PRELOAD), (PRELOAD, jemalloc())):
            with self.subTest(order=order):
                proc, report, m, _ = run_sim(SIM_ARGS, {"LD_PRELOAD": " ".join(order)})
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(m.value("npu:steps_total"), 6)

    @unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
    @unittest.skipIf(FOREIGN_PRELOAD, FOREIGN_REASON)
    def test_python_multiprocessing_fork_and_spawn(self):
        for method in ("fork", "spawn"):
            with self.subTest(method=method), tempfile.TemporaryDirectory() as folder:
                env = preload_env(folder, {"NPU_MOCK_LIB": MOCK_LIB})
                proc = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "helpers",
                                                                        "acl_worker.py"),
                                       method, "3", "6", "5"], env=env, capture_output=True,
                                      text=True, timeout=120)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                m = dump(folder)
                self.assertEqual(m.value("npu:steps_total"), 3 * 6)
                self.assertEqual(m.value("npu:launches_total", api="kernel"), 3 * 6 * 5)
                self.assertEqual(m.value("npu:syncs_total", api="stream"), 3 * 6)
                names = os.listdir(folder)
                pids = {f.split("_")[-1].split("-")[0] for f in names if f.endswith(".db")}
                self.assertEqual(len(pids), 3, sorted(names))
                # Each worker, fork children included, keeps its own attribution sites file.
                sites = {f[len("npuprobe_sites_"):-len(".json")] for f in names
                         if f.startswith("npuprobe_sites_")}
                self.assertEqual(sites, pids, sorted(names))


def reserve_port():
    """A loopback port held for the caller: a socket bound to port 0 with SO_REUSEADDR and never
    listening. While it stays open the kernel hands the port to no other bind (port 0 or not),
    and npuprobe's exposer, which binds with SO_REUSEADDR and listens, can still serve on it.
    Returns (socket, port); close the socket when done."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def scrape(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


class EmbeddedDefaultTest(unittest.TestCase):
    """PROMETHEUS_MULTIPROC_DIR unset: processes of one session share a private /dev/shm folder,
    the first one that binds NPUPROBE_LISTEN serves it, another takes over when it exits."""

    def test_first_process_serves_and_another_takes_over(self):
        reservation, port = reserve_port()
        self.addCleanup(reservation.close)
        url = f"http://127.0.0.1:{port}/metrics"
        with tempfile.TemporaryDirectory() as tmp:
            env = preload_env(None, {"NPUPROBE_LISTEN": f"127.0.0.1:{port}"})
            # Under emulation (NPUPROBE_SLOWDOWN) B starts that much slower: A's steps last longer
            # too, so that B still runs and publishes while A serves.
            gap_us = int(4000 * SLOWDOWN)
            short = f"{NPU_SIM} --steps 150 --host-gap-us {gap_us} --device-us 50 --launches 2"
            long = f"{NPU_SIM} --steps 700 --host-gap-us {gap_us} --device-us 50 --launches 2"
            # B starts once A says it serves (at most 20 s), so A is the first server. A runs in
            # the background ("a; b &" would run a first and only b in the background).
            script = (f"({short} >{tmp}/a.out 2>&1; touch {tmp}/a.done) & "
                      f"i=0; until grep -q serving {tmp}/a.out || [ $i -ge 400 ]; do "
                      f"sleep 0.05; i=$((i+1)); done; {long} >{tmp}/b.out 2>&1 & wait")
            # A new session: both processes share its private folder, no other test's.
            proc = subprocess.Popen(["/bin/sh", "-c", script], env=env, start_new_session=True)
            folder = f"/dev/shm/npuprobe-{os.getuid()}-{proc.pid}"
            try:
                deadline = time.time() + 20 * TIME_SCALE
                first = None
                while first is None and time.time() < deadline:
                    first = scrape(url)
                    time.sleep(0.05)
                self.assertIsNotNone(first, "nobody serves /metrics")
                # A binds after its first flush: its very first answer holds what that flush
                # wrote, never an empty folder.
                self.assertIn("vllm_profiling_npuprobe:dropped_total{", first)
                while not os.path.exists(f"{tmp}/a.done") and time.time() < deadline:
                    time.sleep(0.05)
                self.assertTrue(os.path.exists(f"{tmp}/a.done"))
                # The server was A (it started first); B must take over within a few flushes.
                taken_over = None
                until = time.time() + 3 * TIME_SCALE
                while taken_over is None and time.time() < until:
                    taken_over = scrape(url)
                    time.sleep(0.05)
                self.assertIsNotNone(taken_over, "no process took over after the first exited")
                steps = sum(float(line.split()[-1]) for line in taken_over.splitlines()
                            if line.startswith("vllm_profiling_npu:steps_total"))
                # A's 150 steps stay in the folder, and B (running since A served) adds its
                # own: more than either alone, at most both runs' steps.
                self.assertGreater(steps, 150, "A's counts and B's in the folder")
                self.assertLessEqual(steps, 150 + 700)
                self.assertEqual(proc.wait(timeout=60 * TIME_SCALE), 0)
                # Both done: exactly both runs' steps.
                self.assertEqual(dump(folder).value("npu:steps_total"), 150 + 700)
                with open(f"{tmp}/a.out") as f:
                    self.assertIn("serving", f.read())
                with open(f"{tmp}/b.out") as f:
                    self.assertIn("serving", f.read(), "B took over")
            finally:
                if proc.poll() is None:
                    proc.kill()
                shutil.rmtree(folder, ignore_errors=True)




class RunCommandTest(unittest.TestCase):
    def test_run_puts_npuprobe_first_and_prepares_the_folder(self):
        from npuprobe_run import CLI
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "a", "store")
            env = dict(os.environ, LD_PRELOAD=os.path.join(MOCK_LIB, "libmspti.so"),
                       NPUPROBE_LISTEN="off")
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            out = subprocess.run([CLI, "run", "--dir", folder, "--", "/bin/sh", "-c",
                                  "echo $LD_PRELOAD; echo $PROMETHEUS_MULTIPROC_DIR"],
                                 env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stderr)
            preload, store = out.stdout.splitlines()
            self.assertEqual(preload.split(), [PRELOAD, os.path.join(MOCK_LIB, "libmspti.so")])
            self.assertEqual(store, folder)
            self.assertTrue(os.path.isdir(folder))
            sim = subprocess.run([CLI, "run", "--dir", folder, "--", NPU_SIM] + SIM_ARGS,
                                 env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(sim.returncode, 0, sim.stderr)
            self.assertNotIn("libmspti", sim.stderr)
            self.assertEqual(dump(folder).value("npu:steps_total"), 6)

    def run_cli(self, args, env_extra=None):
        from npuprobe_run import CLI
        env = dict(os.environ, NPUPROBE_LISTEN="off", **(env_extra or {}))
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if env_extra and "PROMETHEUS_MULTIPROC_DIR" in env_extra:
            env["PROMETHEUS_MULTIPROC_DIR"] = env_extra["PROMETHEUS_MULTIPROC_DIR"]
        return subprocess.run([CLI, "run"] + args, env=env, capture_output=True, text=True,
                              timeout=120)

    def test_run_refuses_an_empty_dir(self):
        # `npuprobe run --dir "$PROMETHEUS_MULTIPROC_DIR"` with the variable unset.
        out = self.run_cli(["--dir", "", "--", "/bin/true"])
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stderr.splitlines()[0], "npuprobe run: --dir is empty (an unset "
                         "PROMETHEUS_MULTIPROC_DIR?); name a folder, or leave --dir out for a "
                         "fresh one")

    def test_run_without_dir_makes_exports_and_removes_a_fresh_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = self.run_cli(["--", "/bin/sh", "-c", "echo $PROMETHEUS_MULTIPROC_DIR; "
                                f"{NPU_SIM} {' '.join(SIM_ARGS)} >/dev/null && "
                                "ls $PROMETHEUS_MULTIPROC_DIR; exit 7"], {"TMPDIR": tmp})
            self.assertEqual(out.returncode, 7, out.stderr)  # the service's own exit code
            lines = out.stdout.splitlines()
            folder = lines[0]
            self.assertEqual(os.path.dirname(folder), tmp)
            self.assertIn(f"npuprobe run: store folder {folder} (removed after the service "
                          "exits; --keep keeps it)", out.stderr)
            self.assertTrue(any(name.startswith("counter_") for name in lines[1:]), out.stdout)
            self.assertEqual(os.listdir(tmp), [], "the folder is removed after the service")
            kept = self.run_cli(["--keep", "--", NPU_SIM] + SIM_ARGS, {"TMPDIR": tmp})
            self.assertEqual(kept.returncode, 0, kept.stderr)
            [name] = os.listdir(tmp)
            self.assertEqual(dump(os.path.join(tmp, name)).value("npu:steps_total"), 6)

    def test_run_ends_as_the_service_ends_on_a_signal(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = self.run_cli(["--", "/bin/sh", "-c", "kill -TERM $$"], {"TMPDIR": tmp})
            self.assertEqual(out.returncode, -signal.SIGTERM, out.stderr)
            self.assertEqual(os.listdir(tmp), [])

    def test_run_refuses_a_folder_of_earlier_runs_unless_fresh(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "store")
            first = self.run_cli(["--dir", folder, "--", NPU_SIM] + SIM_ARGS)
            self.assertEqual(first.returncode, 0, first.stderr)
            files = sorted(os.listdir(folder))
            for args, extra in ((["--dir", folder], None),
                                ([], {"PROMETHEUS_MULTIPROC_DIR": folder})):
                again = self.run_cli(args + ["--", "/bin/true"], extra)
                self.assertEqual(again.returncode, 1)
                self.assertEqual(again.stderr,
                                 f"npuprobe run: store folder {folder} holds {len(files)} files "
                                 f"of earlier runs ({files[0]}, ...): their counts would add to "
                                 "this run's and vLLM needs the folder wiped; --fresh removes "
                                 "them\n")
                self.assertEqual(sorted(os.listdir(folder)), files)
            fresh = self.run_cli(["--dir", folder, "--fresh", "--", NPU_SIM] + SIM_ARGS)
            self.assertEqual(fresh.returncode, 0, fresh.stderr)
            self.assertEqual(dump(folder).value("npu:steps_total"), 6)  # not 12


if __name__ == "__main__":
    unittest.main()
