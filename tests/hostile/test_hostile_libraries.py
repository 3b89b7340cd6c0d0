"""A library planted in the folder a process starts from: nothing npuprobe builds may look there.

CMake pads a build-tree RPATH with ':' (room to rewrite it at install), and to the loader an
empty entry is the current directory: build/bin/npuprobe, libnpuprobe.so (and what it dlopens)
and npu-sim once looked for their libraries in whatever folder they were started from, where any
user may leave a libz.so.1 for root to load. cmake/Install.cmake gives the build tree the install
RPATH instead; these tests read every RPATH and watch the loader search."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from hostile import BUILD, CLI, MOCK_LIB, NPU_SIM, PRELOAD, run_bounded
from npuprobe_run import preload_env


def built_objects():
    """The contract's binaries and libraries (docs/contract.md: build/{bin,lib}, build/mock)."""
    paths = [CLI, NPU_SIM]
    for folder in (os.path.join(BUILD, "lib"), MOCK_LIB, os.path.join(BUILD, "mock", "lib-split")):
        paths += sorted(glob.glob(os.path.join(folder, "*.so*")))
    return [p for p in paths if os.path.isfile(p) and not os.path.islink(p)]


def search_paths(path):
    """The RPATH and RUNPATH entries of an ELF file, in order."""
    dynamic = subprocess.run(["readelf", "-dW", path], capture_output=True, text=True,
                             check=True).stdout
    entries = []
    for value in re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dynamic):
        entries += value.split(":")
    return entries


class PlantedLibraryTest(unittest.TestCase):
    def test_every_search_path_is_absolute_or_beside_the_object(self):
        objects = built_objects()
        self.assertIn(PRELOAD, objects)
        for path in objects:
            for entry in search_paths(path):
                self.assertTrue(entry.startswith("/") or entry.startswith("$ORIGIN"),
                                f"{path}: search path entry {entry!r} is relative to the "
                                f"folder the process starts from")

    def test_the_loader_never_tries_a_file_in_the_working_folder(self):
        # Libraries these processes load (or dlopen) by name, planted where they start: with
        # LD_DEBUG=libs the loader names every file it tries; none may be a relative path.
        work = tempfile.mkdtemp(prefix="npuprobe-planted-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        for name in ("libz.so.1", "libm.so.6", "libunwind.so.8", "libdw.so.1",
                     "libascendcl.so", "libmspti.so", "libnpuprobe-config.so"):
            with open(os.path.join(work, name), "wb") as f:
                f.write(b"not a library\n")
        store = os.path.join(work, "store")
        os.mkdir(store)
        # The test's own environment otherwise (QEMU_LD_PREFIX under emulation, the sanitizer
        # options), as every end-to-end test runs; `npuprobe run` preloads npuprobe itself.
        env = preload_env(None, {"LD_DEBUG": "libs"}, preload=False)
        runs = [[CLI, "--version"],
                [CLI, "run", "--dir", store, "--", NPU_SIM, "--steps", "2", "--launches", "2"]]
        for argv in runs:
            proc = run_bounded(argv, cwd=work, env=env)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            tried = re.findall(r"trying file=(\S+)", proc.stderr)
            self.assertTrue(tried, f"LD_DEBUG=libs said nothing for {argv}")
            relative = [t for t in tried if not t.startswith("/")]
            self.assertEqual(relative, [], f"{' '.join(argv)} tried files in its working folder")


if __name__ == "__main__":
    unittest.main()
