#!/usr/bin/python3
"""npuprobe never changes what the host process does, stays inert where it should, exports
only its own names and coexists with other preloads and with fork/spawn workers.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_preload_behaviour
"""
import os
import re
import subprocess
import tempfile
import unittest

from npuprobe_run import (BUILD, MOCK_LIB, NPU_SIM, PRELOAD, SANITIZED, dump, preload_env,
                          run_sim)

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
                probed, _, m, _ = run_sim(SIM_ARGS, fault)
                self.assertEqual(probed.returncode, bare.returncode, probed.stderr)
                self.assertEqual(probed.stdout, bare.stdout)
                self.assertEqual(probed.stderr, bare.stderr)
                if fault:
                    name, _, code = fault["NPU_MOCK_FAIL"].split(":")
                    api = "aclnnMatmul" if name == "aclrtLaunchKernelWithHostArgs" else name
                    errors = m.value("npu:api_errors_total", code=code)
                    self.assertGreaterEqual(errors, 1, f"{api}: {m.text[:2000]}")

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

    def test_process_that_never_calls_acl_creates_no_file(self):
        with tempfile.TemporaryDirectory() as folder:
            for cmd in (["/bin/true"], ["/bin/sh", "-c", "echo hi >/dev/null"],
                        ["/usr/bin/python3", "-c", "import ctypes, json"]):
                proc = subprocess.run(cmd, env=preload_env(folder), capture_output=True,
                                      text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "")
            self.assertEqual(os.listdir(folder), [])

    def test_exports_only_acl_names_dlsym_and_the_c_api(self):
        out = subprocess.run(["nm", "-D", "--defined-only", PRELOAD], capture_output=True,
                             text=True, check=True).stdout
        names = [line.split()[-1] for line in out.splitlines() if line.strip()]
        self.assertIn("aclrtLaunchKernel", names)
        self.assertIn("dlsym", names)
        for name in names:
            self.assertTrue(re.match(r"^(acl[A-Za-z0-9_]+|dlsym|npuprobe_[a-z_]+)$", name), name)

    def test_never_calls_the_public_dlsym_itself(self):
        out = subprocess.run(["readelf", "-rW", PRELOAD], capture_output=True, text=True,
                             check=True).stdout
        self.assertIsNone(re.search(r"\bdlsym\b", out), "a relocation against dlsym")

    @unittest.skipIf(SANITIZED, "sanitizer runtimes are linked in")
    def test_depends_on_nothing_beyond_libc_and_libstdcxx(self):
        out = subprocess.run(["readelf", "-dW", PRELOAD], capture_output=True, text=True,
                             check=True).stdout
        needed = re.findall(r"NEEDED.*\[(.*)\]", out)
        for lib in needed:
            self.assertRegex(lib, r"^(libc|libm|libdl|libpthread|libstdc\+\+|libgcc_s|ld-linux)")

    def test_rtld_next_of_another_library_is_computed_from_that_library(self):
        exe = os.path.join(BUILD, "tests", "bin", "rtld_next_main")
        env = preload_env(None)
        env["LD_LIBRARY_PATH"] = os.path.join(BUILD, "tests", "lib")
        proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.stdout.strip(), "11", proc.stderr)

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
    def test_jemalloc_before_or_after(self):
        for order in ((jemalloc(), PRELOAD), (PRELOAD, jemalloc())):
            with self.subTest(order=order):
                proc, report, m, _ = run_sim(SIM_ARGS, {"LD_PRELOAD": " ".join(order)})
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(m.value("npu:steps_total"), 6)

    @unittest.skipIf(SANITIZED, "python3 cannot load a sanitizer-instrumented preload")
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
                pids = {f.split("_")[-1].split("-")[0] for f in os.listdir(folder)}
                self.assertEqual(len(pids), 3, sorted(os.listdir(folder)))


if __name__ == "__main__":
    unittest.main()
