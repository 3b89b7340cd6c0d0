#!/usr/bin/python3
"""No call is ever changed by npuprobe's dlsym, and repeated lookups stay exact.

Exports with aclnn names and other shapes (torch_npu's format-cast and kernel-reselect
functions, more arguments than registers, floating point, none), a four-argument export without
its first stage, a first stage without its second, and one real two-stage op are resolved
through dlsym on a handle, RTLD_DEFAULT, RTLD_NEXT and dlvsym, called, and their results
printed: with and without npuprobe the output must be the same bytes. The library is loaded
after npuprobe started, closed and reopened at another address, then replaced by a build
without the op's first stage: only real second stages count, exactly.

Run: NPUPROBE_BUILD=build /usr/bin/python3 -m unittest -v test_dlsym_resolution
"""
import os
import subprocess
import tempfile
import unittest

from npuprobe_run import BUILD, FOREIGN_PRELOAD, MOCK_LIB, dump, preload_env

MAIN = os.path.join(BUILD, "tests", "bin", "dlsym_shapes_main")
LIB = os.path.join(BUILD, "tests", "lib", "libdlsym_shapes.so")
LIB_NO_TWIN = os.path.join(BUILD, "tests", "lib", "libdlsym_shapes_no_twin.so")
# Rounds (dlsym_shapes_main.c): 1 and 2 the library RTLD_LOCAL (a handle and dlvsym), 2 at
# another address; 3 the build without the op's first stage (same ways); 4 RTLD_GLOBAL, every
# way. npuprobe's dlsym sees the handle and RTLD_DEFAULT lookups; RTLD_NEXT goes straight to the
# real dlsym and dlvsym is not interposed, so those hand out the plain function.
COUNTED_LAUNCHES = 1 + 1 + 0 + 2


def run(folder, preload):
    env = preload_env(folder, {"LD_LIBRARY_PATH": MOCK_LIB}, preload=preload)
    return subprocess.run([MAIN, LIB, LIB_NO_TWIN], env=env, capture_output=True, text=True,
                          timeout=60)


class DlsymResolutionTest(unittest.TestCase):
    def test_every_export_returns_the_same_with_and_without_npuprobe(self):
        with tempfile.TemporaryDirectory() as folder:
            bare = run(None, preload=False)
            probed = run(folder, preload=True)
        self.assertEqual(bare.returncode, 0, bare.stderr)
        self.assertEqual(probed.returncode, 0, probed.stderr)
        self.assertEqual(probed.stdout, bare.stdout)
        # The values themselves: a thunk of the wrong shape would have lost arguments 5 and 6.
        self.assertIn("handle format_cast rc=0 size=3 shape=1,29,4 format=294", bare.stdout)
        self.assertIn("default many=680.000000", bare.stdout)  # round 4: j = 4
        self.assertIn("reopened at another address", bare.stdout)
        if not FOREIGN_PRELOAD:
            # qemu user-mode emulation (scripts/aarch64.sh) places mmap()s itself, upwards, and
            # does not reuse the range a library just left, as the kernel does.
            self.assertIn("without its first stage at an earlier address", bare.stdout)
        self.assertIn("linked default: aclNoSuchFunction missing, aclrtSetDevice found, "
                      "aclnnNoSuchOp missing", bare.stdout)
        for way in ("handle", "default", "next", "dlvsym"):
            self.assertIn(f"{way} twin_only=missing", bare.stdout)
        self.assertEqual(bare.stdout.count(" op first=0 second=0"), 2 + 2 + 4)
        self.assertEqual(bare.stdout.count(" op first=-1 second=0"), 2)
        self.assertIn("op calls 10", bare.stdout)

    def test_only_real_second_stages_count_exactly(self):
        with tempfile.TemporaryDirectory() as folder:
            probed = run(folder, preload=True)
            self.assertEqual(probed.returncode, 0, probed.stderr)
            m = dump(folder)
        self.assertEqual(m.value("npu:launches_total", api="aclnn", device="0"),
                         COUNTED_LAUNCHES, m.text[:3000])
        for api in ("kernel", "aclop", "capture", "graph_update"):
            self.assertEqual(m.value("npu:launches_total", api=api), 0, api)
        self.assertTrue(m.absent("npu:api_errors_total"), m.text[:3000])


if __name__ == "__main__":
    unittest.main()
