#!/usr/bin/python3
"""`npuprobe check`, the preflight: it passes with the mock CANN on LD_LIBRARY_PATH and a
writable store folder, and fails (exit 1, with the reason on the last line) without the CANN
libraries, on a folder that cannot be created, an unknown store format, a malformed YAML file, a
bad environment value or a control segment of the wrong magic; a hand-written LD_PRELOAD with
another library before npuprobe is a warning (exit 0).

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_check
"""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import unittest

from npuprobe_run import CLI, MOCK_LIB, PRELOAD, SANITIZED
from test_runtime_switch import remove_segment, shm_path, write_segment

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "data", "prometheus-multiproc")
# Variables that would make the result depend on the caller's environment.
SCRUBBED = ("LD_PRELOAD", "LD_LIBRARY_PATH", "PROMETHEUS_MULTIPROC_DIR", "NPUPROBE_CONFIG",
            "SERVICE_PROF_CONFIG_PATH", "NPUPROBE_STORE_FORMAT", "NPUPROBE_FLUSH_MS",
            "NPUPROBE_LOG_LEVEL", "NPUPROBE_LISTEN", "NPUPROBE_DISABLE", "NPUPROBE_OP_LABEL")


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.prefix = f"/npuprobe_test_{os.getpid()}_{self.id().split('.')[-1][:24]}"
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "store")
        os.mkdir(self.folder)

    def tearDown(self):
        remove_segment(self.prefix)
        self.tmp.cleanup()

    def env(self, **extra):
        """A service environment: the mock CANN on the library path, our own folder and prefix."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update({"LD_LIBRARY_PATH": MOCK_LIB, "PROMETHEUS_MULTIPROC_DIR": self.folder,
                    "MS_SERVICE_METRIC_SHM_PREFIX": self.prefix})
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def check(self, *args, **extra):
        """Runs `npuprobe check`; returns (exit status, stdout lines)."""
        out = subprocess.run([CLI, "check", *args], env=self.env(**extra), capture_output=True,
                             text=True, timeout=60)
        lines = out.stdout.splitlines()
        self.assertTrue(lines, out.stderr)
        for line in lines[:-1]:
            self.assertRegex(line, r"^(ok|warn|FAIL)  [^:]+: ", out.stdout)
        self.assertRegex(lines[-1], r"^npuprobe check: (passed \(\d+ warnings\)|FAILED: .+)$")
        return out.returncode, lines

    def assert_failed(self, status, lines, pattern):
        text = "\n".join(lines)
        self.assertEqual(status, 1, text)
        self.assertRegex(text, re.compile(r"^FAIL  " + pattern, re.M))
        self.assertRegex(lines[-1], r"^npuprobe check: FAILED: " + pattern)

    def test_passes_with_the_mock_and_a_writable_folder(self):
        status, lines = self.check()
        text = "\n".join(lines)
        self.assertEqual(status, 0, text)
        self.assertRegex(text, r"(?m)^ok  CANN runtime: .*/mock/lib/libascendcl\.so$")
        self.assertRegex(text, r"(?m)^ok  CANN symbols: all \d+ entry points found$")
        self.assertRegex(text, r"(?m)^ok  aclnn operators: .*libopapi\.so$")
        self.assertRegex(text, r"(?m)^ok  collectives: .*/mock/lib/libhccl\.so$")
        self.assertRegex(text, r"(?m)^ok  preload: .*/lib/libnpuprobe\.so$")
        self.assertRegex(text, r"(?m)^ok  attribution: libunwind and .*/lib/libnpuprobe-symbolizer\.so"
                               r" load; launches from 1000 us and up to 1000 waits a second")
        self.assertIn("ok  LD_PRELOAD: not in LD_PRELOAD; use `npuprobe run`", lines)
        self.assertRegex(text, r"(?m)^ok  store folder \(PROMETHEUS_MULTIPROC_DIR\): .*writable")
        self.assertRegex(text, r"(?m)^ok  control segment: .*_control: absent; collection starts ON")
        self.assertEqual(lines[-1], "npuprobe check: passed (0 warnings)")
        self.assertEqual(os.listdir(self.folder), [], "the write test leaves nothing behind")
        status, quiet = self.check("--quiet")
        self.assertEqual((status, quiet), (0, ["npuprobe check: passed (0 warnings)"]))

    def test_says_when_attribution_is_off(self):
        status, lines = self.check(NPUPROBE_ATTRIBUTION="0")
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertIn("ok  attribution: off (attribution.enabled false or NPUPROBE_ATTRIBUTION=0)",
                      lines)

    def test_fails_without_the_cann_libraries(self):
        status, lines = self.check(LD_LIBRARY_PATH=None)
        self.assert_failed(status, lines, r"CANN runtime: cannot load libascendcl\.so: ")

    def test_fails_on_a_folder_that_cannot_be_created(self):
        regular = os.path.join(self.tmp.name, "file")
        open(regular, "w").close()
        status, lines = self.check("--dir", os.path.join(regular, "store"))
        self.assert_failed(status, lines,
                           r"store folder \(--dir\): .* cannot be created: .*file is not a folder")
        status, lines = self.check(PROMETHEUS_MULTIPROC_DIR=regular)
        self.assert_failed(status, lines, r"store folder \(PROMETHEUS_MULTIPROC_DIR\): .* is not a folder")
        # A missing folder under a writable one is what `npuprobe run --dir` creates.
        status, lines = self.check("--dir", os.path.join(self.folder, "new", "sub"))
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertFalse(os.path.exists(os.path.join(self.folder, "new")), "nothing created")

    def test_fails_on_a_folder_it_cannot_write(self):
        # A folder of someone else's, read-only to us. Run as root (as CI does), the check passes
        # on it (root writes anywhere) and the failing case runs as the user nobody; run as
        # anyone else, the failing case runs as that user.
        os.chmod(self.tmp.name, 0o755)  # nobody must reach the folder to be refused by it
        os.chmod(self.folder, 0o555)
        try:
            if os.geteuid() == 0:
                status, lines = self.check()
                text = "\n".join(lines)
                self.assertEqual(status, 0, text)
                self.assertRegex(text, r"(?m)^ok  store folder \(PROMETHEUS_MULTIPROC_DIR\): "
                                       + re.escape(self.folder) + r" \(writable\)$")
                run_check = self.check_as_nobody
            else:
                run_check = self.check
            status, lines = run_check()
            self.assert_failed(status, lines, r"store folder \(PROMETHEUS_MULTIPROC_DIR\): " +
                               re.escape(self.folder) + r" is not writable: ")
            status, lines = run_check("--dir", os.path.join(self.folder, "new"))
            self.assert_failed(status, lines, r"store folder \(--dir\): .* cannot be created: " +
                               re.escape(self.folder) + r" is not writable")
            self.assertEqual(os.listdir(self.folder), [], "the write test leaves nothing behind")
        finally:
            os.chmod(self.folder, 0o700)

    def check_as_nobody(self, *args):
        """`npuprobe check` run by the user nobody (root only): from the build when nobody can
        reach it, else from a copy of what the check loads (binary, preload, plugins, mock CANN)
        in a folder nobody can reach."""
        self.assertEqual(os.geteuid(), 0)
        nobody = pwd.getpwnam("nobody")

        def drop():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)

        cli, mock_lib = self.build_for(drop)
        out = subprocess.run([cli, "check", *args], env=self.env(LD_LIBRARY_PATH=mock_lib),
                             capture_output=True, text=True, timeout=60, preexec_fn=drop, cwd="/")
        lines = out.stdout.splitlines()
        self.assertTrue(lines, out.stderr)
        self.assertRegex(lines[-1], r"^npuprobe check: (passed \(\d+ warnings\)|FAILED: .+)$")
        return out.returncode, lines

    def build_for(self, drop):
        """(npuprobe binary, mock CANN folder) that the user `drop` switches to can run: the
        build's own, else (the build under a folder that user cannot traverse) a copy in our
        temporary folder, made once per test."""
        copy = os.path.join(self.tmp.name, "build")
        if os.path.isdir(copy):
            return os.path.join(copy, "bin", "npuprobe"), os.path.join(copy, "mock", "lib")
        reach = subprocess.run(["/bin/sh", "-c", 'test -x "$0" && test -r "$1/libascendcl.so" && '
                                'test -r "$2"', CLI, MOCK_LIB, PRELOAD], preexec_fn=drop, cwd="/")
        if reach.returncode == 0:
            return CLI, MOCK_LIB
        for sub in ("bin", "lib", os.path.join("mock", "lib")):
            os.makedirs(os.path.join(copy, sub), mode=0o755)
        shutil.copy2(CLI, os.path.join(copy, "bin"))
        lib = os.path.dirname(PRELOAD)
        for name in os.listdir(lib):
            if name.startswith("libnpuprobe"):
                shutil.copy2(os.path.join(lib, name), os.path.join(copy, "lib"))
        for name in os.listdir(MOCK_LIB):
            shutil.copy2(os.path.join(MOCK_LIB, name), os.path.join(copy, "mock", "lib"))
        for root, _, _ in os.walk(copy):
            os.chmod(root, 0o755)
        return os.path.join(copy, "bin", "npuprobe"), os.path.join(copy, "mock", "lib")

    def test_fails_on_an_unknown_store_format(self):
        status, lines = self.check(NPUPROBE_STORE_FORMAT="v3")
        self.assert_failed(status, lines, r"format: NPUPROBE_STORE_FORMAT=v3 is not v1, v2 or auto")
        self.assertEqual(sum(1 for l in lines if l.startswith("FAIL")), 1, "reported once")

    def test_format_follows_and_warns_against_python_files(self):
        shutil.copy(os.path.join(GOLDEN, "client_python-0.16", "counter_1001.db"), self.folder)
        status, lines = self.check()
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertRegex("\n".join(lines), r"(?m)^ok  format: auto \(1 prometheus_client file\(s\) in v1")
        status, lines = self.check(NPUPROBE_STORE_FORMAT="v2")
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertRegex("\n".join(lines), r"(?m)^warn  format: v2 requested but .* in v1")
        self.assertEqual(lines[-1], "npuprobe check: passed (1 warnings)")

    def test_fails_on_a_malformed_yaml_file_naming_file_and_line(self):
        yaml = os.path.join(self.tmp.name, "npuprobe.yaml")
        with open(yaml, "w") as f:
            f.write("store:\n  format: v2\nhooks: [launch\n")
        status, lines = self.check("--config", yaml)
        self.assert_failed(status, lines, r"config: " + re.escape(yaml) + r":\d+: ")
        status, lines = self.check(NPUPROBE_CONFIG=yaml)
        self.assert_failed(status, lines, r"config: " + re.escape(yaml) + r":\d+: ")
        with open(yaml, "w") as f:
            f.write("store:\n  format: v2\n")
        status, lines = self.check("--config", yaml)
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertRegex("\n".join(lines), r"(?m)^ok  config: defaults, NPUPROBE_CONFIG=")

    def test_fails_on_a_bad_environment_value(self):
        status, lines = self.check(NPUPROBE_FLUSH_MS="fast")
        self.assert_failed(status, lines, r"environment: NPUPROBE_FLUSH_MS: ")
        status, lines = self.check(NPUPROBE_LOG_LEVEL="loud")
        self.assert_failed(status, lines, r"environment: NPUPROBE_LOG_LEVEL: ")
        status, lines = self.check(NPUPROBE_LISTEN="nowhere")
        self.assert_failed(status, lines, r"environment: NPUPROBE_LISTEN: ")

    def test_fails_on_a_control_segment_of_the_wrong_magic(self):
        write_segment(self.prefix, on=True, timestamp=1, magic=0x12345678)
        status, lines = self.check()
        self.assert_failed(status, lines, r"control segment: " + re.escape(self.prefix) +
                           r"_control: wrong magic")
        # A well-formed one is reported with its state; no semaphore beside it is a warning.
        write_segment(self.prefix, on=False, timestamp=1700000000)
        status, lines = self.check()
        text = "\n".join(lines)
        self.assertEqual(status, 0, text)
        self.assertRegex(text, r"(?m)^ok  control segment: .*_control: OFF.*timestamp 1700000000")
        self.assertRegex(text, r"(?m)^warn  control semaphore: .*_semaphore: missing")

    @unittest.skipIf(SANITIZED, "the check would run with an uninstrumented library preloaded")
    def test_warns_when_another_library_precedes_npuprobe_in_ld_preload(self):
        mspti = os.path.join(MOCK_LIB, "libmspti.so")
        status, lines = self.check(LD_PRELOAD=f"{mspti} {PRELOAD}")
        text = "\n".join(lines)
        self.assertEqual(status, 0, text)
        self.assertIn("warn  LD_PRELOAD: order is libmspti.so libnpuprobe.so: put libnpuprobe.so "
                      "first", text)
        self.assertEqual(lines[-1], "npuprobe check: passed (1 warnings)")
        status, lines = self.check(LD_PRELOAD=f"{PRELOAD}:{mspti}")
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertIn("ok  LD_PRELOAD: libnpuprobe.so first (libnpuprobe.so libmspti.so)", lines)


    def test_warns_where_the_metrics_go_without_a_multiprocess_folder(self):
        # vLLM with one API server makes no folder: its /metrics never shows npuprobe's series.
        status, lines = self.check(PROMETHEUS_MULTIPROC_DIR=None, NPUPROBE_LISTEN="127.0.0.1:9555")
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertRegex("\n".join(lines), re.compile(
            r"^warn  store folder: PROMETHEUS_MULTIPROC_DIR unset: vLLM's /metrics will not show "
            r"npuprobe's series .* they go to the private folder /\S+, served on "
            r"http://127\.0\.0\.1:9555/metrics; `npuprobe run` exports a fresh folder$", re.M))
        status, lines = self.check(PROMETHEUS_MULTIPROC_DIR=None, NPUPROBE_LISTEN="off")
        self.assertIn("not served (NPUPROBE_LISTEN=off): `npuprobe serve --dir ", "\n".join(lines))

    def test_fails_on_a_folder_that_mixes_formats_and_dump_says_so(self):
        # A v1 run's files and a v2 run's in one folder (not wiped between runs): npuprobe reads
        # both, prometheus_client's collector raises, so vLLM's whole /metrics fails.
        for name in sorted(os.listdir(os.path.join(GOLDEN, "client_python-0.16"))):
            if name.endswith(".db"):
                shutil.copy(os.path.join(GOLDEN, "client_python-0.16", name), self.folder)
        for name in sorted(os.listdir(os.path.join(GOLDEN, "client_python-0.25"))):
            if name.endswith(".db"):
                shutil.copy(os.path.join(GOLDEN, "client_python-0.25", name),
                            os.path.join(self.folder, name.replace("_100", "_200")))
        status, lines = self.check()
        self.assert_failed(status, lines, r"format: the folder mixes formats: \d+ v1 files "
                           r"\(counter_1001\.db, .*\) and \d+ v2 files \(counter_2001\.db, "
                           r".*\): prometheus_client's collector \(vLLM's /metrics\) raises on it")
        dump = subprocess.run([CLI, "dump", "--dir", self.folder], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(dump.returncode, 1)
        self.assertTrue(dump.stdout.startswith("# HELP "), dump.stdout[:200])  # still printed
        self.assertRegex(dump.stderr, r"^npuprobe dump: the folder mixes formats: \d+ v1 files "
                                      r"\(counter_1001\.db")

    def patched_preload(self, offset_of, replacement):
        """A copy of libnpuprobe.so with `replacement` written where offset_of(bytes) says."""
        with open(PRELOAD, "rb") as f:
            data = bytearray(f.read())
        offset = offset_of(data)
        data[offset:offset + len(replacement)] = replacement
        folder = os.path.join(self.tmp.name, "copy")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "libnpuprobe.so")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_fails_on_a_preload_of_another_architecture(self):
        # e_machine (ELF header offset 18) of the other architecture: what an aarch64 package
        # unpacked on x86-64 (or the reverse) puts in LD_PRELOAD. ld.so skips such a preload
        # with one line and the service would run uninstrumented.
        with open(PRELOAD, "rb") as f:
            machine = int.from_bytes(f.read()[18:20], "little")
        other, other_name = (183, "aarch64") if machine == 62 else (62, "x86-64")
        path = self.patched_preload(lambda data: 18, other.to_bytes(2, "little"))
        status, lines = self.check(LD_PRELOAD=path)
        self.assert_failed(status, lines, re.escape(f"LD_PRELOAD: {path} is built for "
                                                    f"{other_name}, this host is "))

    def test_fails_on_a_preload_that_needs_a_newer_glibc(self):
        # One of its GLIBC_ version requirements renamed to a glibc no host has yet. Such a
        # preload stops the service before main, so it cannot be in check's own LD_PRELOAD: it
        # is the one next to a copy of the CLI (bin/npuprobe and lib/libnpuprobe.so, the
        # layout `npuprobe run` takes the preload from).
        def first_glibc_name(data):
            match = re.search(rb"GLIBC_2\.[0-9]+(\.[0-9]+)?\x00", bytes(data))
            self.assertIsNotNone(match)
            return match.start()
        path = self.patched_preload(first_glibc_name, b"GLIBC_9.9")
        os.rename(os.path.dirname(path), os.path.join(self.tmp.name, "lib"))
        os.mkdir(os.path.join(self.tmp.name, "bin"))
        cli = os.path.join(self.tmp.name, "bin", "npuprobe")
        shutil.copy(CLI, cli)
        out = subprocess.run([cli, "check"], env=self.env(), capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertRegex(out.stdout, re.compile(
            r"^FAIL  preload: .*/lib/libnpuprobe\.so needs glibc 9\.9[0-9.]*, this host has "
            r"2\.[0-9]+: the service would not start \(ld\.so: version `GLIBC_9\.9", re.M))

    @unittest.skipIf(SANITIZED, "the check would run with an uninstrumented library preloaded")
    def test_the_check_never_instruments_itself(self):
        # A shell prepared for the application (libnpuprobe.so preloaded, no multiprocess folder:
        # the embedded default) must not make `npuprobe check` publish or serve anything itself.
        registry = os.path.join(self.tmp.name, "registry")
        status, lines = self.check(LD_PRELOAD=PRELOAD, PROMETHEUS_MULTIPROC_DIR=None,
                                   NPUPROBE_REGISTRY_DIR=registry, NPUPROBE_LISTEN="127.0.0.1:0")
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertFalse(os.path.exists(registry), "the check registered itself as a process")

    @unittest.skipIf(SANITIZED, "the check would run with an uninstrumented library preloaded")
    def test_warns_when_task_time_and_libmspti_do_not_match(self):
        yaml = os.path.join(self.tmp.name, "npuprobe.yaml")
        mspti = os.path.join(MOCK_LIB, "libmspti.so")
        for mode, preload, expected in (
                (2, None, "warn  task time: task_time.mode 2 (MSPTI) needs libmspti.so"),
                (2, f"{PRELOAD} {mspti}", "ok  task time: mode 2 (MSPTI), libmspti.so in"),
                (1, f"{PRELOAD} {mspti}", "warn  task time: task_time.mode 1 (aclprof) does not "
                                          "start while libmspti.so is in LD_PRELOAD")):
            with self.subTest(mode=mode, preload=preload):
                with open(yaml, "w") as f:
                    f.write(f"task_time:\n  mode: {mode}\n")
                status, lines = self.check(NPUPROBE_CONFIG=yaml, LD_PRELOAD=preload)
                self.assertEqual(status, 0, "\n".join(lines))
                self.assertTrue(any(line.startswith(expected) for line in lines), lines)

if __name__ == "__main__":
    unittest.main()
