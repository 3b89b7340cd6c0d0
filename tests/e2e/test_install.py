"""The installed layout and the packages (issue 17): CPack's tarballs of npuprobe and
npuprobe-mock, unpacked side by side as a user would on a host, run with nothing from the build
folder: the C API header in include/, `npuprobe --version`, `npuprobe run` finding the preload in
lib/npuprobe/ by itself, npu-sim under it on two devices with exact counts read back by the
unpacked `npuprobe dump`, and the bundled libraries found through $ORIGIN (no LD_LIBRARY_PATH
anywhere).

Run in tests/e2e/: NPUPROBE_BUILD=/abs/build /usr/bin/python3 -m unittest -v test_install
"""
import glob
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest

from npuprobe_run import BUILD, PRELOAD, Samples, _elf_machine

# The architecture the build is for (the aarch64 cross build runs this under qemu on x86-64).
ARCH = {62: ("x86_64", "amd64"), 183: ("aarch64", "arm64")}[_elf_machine(PRELOAD)]

STEPS, LAUNCHES = 20, 3


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LD_", "NPUPROBE_", "PROMETHEUS_", "NPU_MOCK_"))}
    env.update({"NPUPROBE_LISTEN": "off"}, **extra)
    return env


class PackagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="npuprobe-packages-")
        out = subprocess.run(["cpack", "-G", "TGZ", "-B", cls.tmp,
                              "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise AssertionError(f"cpack failed:\n{out.stdout}\n{out.stderr}")
        cls.tarballs = sorted(os.path.basename(p) for p in glob.glob(f"{cls.tmp}/*.tar.gz"))
        # Both tarballs hold opt/npuprobe/...: unpacked into one folder (`tar -C / xzf` on a
        # host), the prefix is <folder>/opt/npuprobe, wherever the folder is ($ORIGIN).
        host = os.path.join(cls.tmp, "host")
        for name in cls.tarballs:
            with tarfile.open(os.path.join(cls.tmp, name)) as archive:
                archive.extractall(host)
        cls.root = os.path.join(host, "opt", "npuprobe")
        cls.cli = os.path.join(cls.root, "bin", "npuprobe")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_one_tarball_per_component_named_for_the_architecture(self):
        arch = ARCH[1]
        self.assertEqual(len(self.tarballs), 2, self.tarballs)
        self.assertRegex(self.tarballs[0], rf"^npuprobe-\d+\.\d+\.\d+-{arch}\.tar\.gz$")
        self.assertRegex(self.tarballs[1], rf"^npuprobe-mock-\d+\.\d+\.\d+-{arch}\.tar\.gz$")

    def test_debian_packages_name_their_architecture_and_glibc_floor(self):
        out = subprocess.run(["cpack", "-G", "DEB", "-B", self.tmp,
                              "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        arch = ARCH[1]
        debs = sorted(os.path.basename(p) for p in glob.glob(f"{self.tmp}/*.deb"))
        self.assertEqual(len(debs), 2, debs)
        named = {deb.split("_")[0]: deb for deb in debs}
        self.assertEqual(sorted(named), ["npuprobe", "npuprobe-mock"], debs)
        for package, deb in named.items():
            self.assertRegex(deb, rf"^{package}_\d+\.\d+\.\d+_{arch}\.deb$")
            fields = subprocess.run(["dpkg-deb", "-f", os.path.join(self.tmp, deb), "Package",
                                     "Architecture", "Depends", "Recommends"],
                                    capture_output=True, text=True, check=True).stdout
            # Attribution's stack walk and symbolizer use the host's libunwind and libdw.
            recommends = "Recommends: libunwind8, libdw1\n" if package == "npuprobe" else ""
            self.assertEqual(fields, f"Package: {package}\nArchitecture: {arch}\n"
                                     f"Depends: libc6 (>= 2.28)\n{recommends}")
        listing = subprocess.run(["dpkg-deb", "-c", os.path.join(self.tmp, named["npuprobe"])],
                                 capture_output=True, text=True, check=True).stdout
        self.assertIn("./opt/npuprobe/lib/npuprobe/libnpuprobe.so", listing)
        self.assertIn("./opt/npuprobe/include/npuprobe.h", listing)

    def test_the_c_api_header_is_installed_as_in_the_source(self):
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include",
                              "npuprobe.h")
        with open(os.path.join(self.root, "include", "npuprobe.h"), "rb") as installed, \
                open(source, "rb") as expected:
            self.assertEqual(installed.read(), expected.read())

    def test_version_names_release_git_and_floor(self):
        out = subprocess.run([self.cli, "--version"], capture_output=True, text=True,
                             env=clean_env(), timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, rf"^npuprobe \d+\.\d+\.\d+ \([^)]+\), {ARCH[0]}, "
                                     r"glibc >= 2\.28\n$")

    def test_run_finds_the_installed_preload_and_counts_exactly(self):
        store = os.path.join(self.tmp, "store")
        npu_sim = os.path.join(self.root, "bin", "npu-sim")
        out = subprocess.run([self.cli, "run", "--dir", store, "--", npu_sim, "--steps",
                              str(STEPS), "--launches", str(LAUNCHES), "--devices", "0,1"],
                             capture_output=True, text=True, env=clean_env(), timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # The attribution plugin came from lib/npuprobe/, libunwind and libdw from the host.
        self.assertNotIn("cannot be loaded", out.stderr)
        dumped = subprocess.run([self.cli, "dump", "--dir", store], capture_output=True,
                                text=True, env=clean_env(), timeout=60)
        self.assertEqual(dumped.returncode, 0, dumped.stderr)
        samples = Samples(dumped.stdout)
        for device in (0, 1):
            self.assertEqual(samples.value("npu:steps_total", device=device), STEPS)
            self.assertEqual(samples.value("npu:launches_total", device=device),
                             STEPS * LAUNCHES)

    def test_the_bundled_libraries_are_found_through_origin(self):
        # readelf, not ldd: it reads the aarch64 packages too. Every library a plugin or the
        # command needs is the C library's own, bundled in lib/npuprobe/ and found there through
        # an RPATH of $ORIGIN (the command: $ORIGIN/../lib/npuprobe), or the host's libdw (the
        # symbolizer plugin only; cmake/Install.cmake says why). libstdc++ and libgcc_s never:
        # they are linked statically.
        lib = os.path.join(self.root, "lib", "npuprobe")
        system = re.compile(r"^(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so")
        host_only = {"libnpuprobe-symbolizer.so": {"libdw.so.1", "libelf.so.1"}}
        files = [(os.path.join(lib, p), "$ORIGIN") for p in
                 ("libnpuprobe.so", "libnpuprobe-config.so", "libnpuprobe-symbolizer.so",
                  "libnpuprobe-exposer.so")]
        files.append((self.cli, "$ORIGIN/../lib/npuprobe"))
        bundled = set(os.listdir(lib))
        for path, rpath in files:
            dynamic = subprocess.run(["readelf", "-dW", path], capture_output=True, text=True,
                                     check=True).stdout
            self.assertIn(f"(RPATH)", dynamic, path)
            self.assertIn(f"[{rpath}]", dynamic, path)
            for needed in re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic):
                allowed = host_only.get(os.path.basename(path), set())
                self.assertTrue(system.match(needed) or needed in bundled or needed in allowed,
                                f"{os.path.basename(path)} needs {needed}, not bundled")
        self.assertFalse({"libdw.so.1", "libunwind.so.8", "libyaml-cpp.so.0.7"} & bundled,
                         sorted(bundled))

    def test_every_shipped_file_is_at_the_glibc_floor(self):
        # Every ELF file in both packages, bundled libraries included (the CI check of issue 17).
        shipped = []
        for folder, _, names in os.walk(self.root):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as f:
                        if f.read(4) == b"\x7fELF":
                            shipped.append(path)
        self.assertGreaterEqual(len(shipped), 12, shipped)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                              "check-glibc-floor.sh")
        out = subprocess.run(["bash", script] + sorted(shipped), capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout.count(": at the floor (glibc 2.28"), len(shipped), out.stdout)

if __name__ == "__main__":
    unittest.main()
