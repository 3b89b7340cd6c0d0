"""A Python process whose identity changes under npuprobe the way vLLM's processes' does.

    identity_worker.py late-title STEPS1 STEPS2
        aclInit, device 0, STEPS1 steps; says "phase 1" and waits for a line on stdin (the test
        reads the folder: the steps under dp 0); titles itself with the line it read (not an
        argument: the command line is where npuprobe looks for a title) as setproctitle does
        (vLLM's workers: `VLLM::Worker_DP<n>_TP<m>` after device init); STEPS2 steps; says
        "phase 2" and waits; aclrtResetDevice flushes and it exits.
    identity_worker.py fork-folder FOLDER STEPS
        aclInit with no PROMETHEUS_MULTIPROC_DIR (npuprobe starts on its private folder), then
        os.environ names FOLDER (Python writes through to the C environ) and os.fork(): the
        child sets device 0, runs STEPS steps, resets the device (a synchronous flush) and
        leaves with os._exit, as a multiprocessing child does. Prints the child's pid.
Steps are one kernel launch and a stream synchronize each (NPU_MOCK_LIB names the mock)."""
import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "serving"))
from process_title import set_process_title  # noqa: E402


class Acl:
    def __init__(self):
        lib = ctypes.CDLL(os.path.join(os.environ["NPU_MOCK_LIB"], "libascendcl.so"))
        lib.npumock_get_function.argtypes = [ctypes.c_char_p, ctypes.c_uint32,
                                             ctypes.POINTER(ctypes.c_void_p)]
        lib.aclrtLaunchKernel.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                                          ctypes.c_size_t, ctypes.c_void_p]
        lib.aclrtSynchronizeStream.argtypes = [ctypes.c_void_p]
        lib.aclrtDestroyStream.argtypes = [ctypes.c_void_p]
        self.lib, self.stream, self.kernel = lib, None, None

    def set_device(self, device):
        assert self.lib.aclrtSetDevice(device) == 0
        self.stream, self.kernel = ctypes.c_void_p(), ctypes.c_void_p()
        assert self.lib.aclrtCreateStream(ctypes.byref(self.stream)) == 0
        assert self.lib.npumock_get_function(b"k", 0, ctypes.byref(self.kernel)) == 0

    def steps(self, n):
        for _ in range(n):
            assert self.lib.aclrtLaunchKernel(self.kernel, 1, None, 0, self.stream) == 0
            assert self.lib.aclrtSynchronizeStream(self.stream) == 0

    def reset(self, device):
        assert self.lib.aclrtDestroyStream(self.stream) == 0
        assert self.lib.aclrtResetDevice(device) == 0


def pause(phase):
    print(f"phase {phase}", flush=True)
    return sys.stdin.readline().strip()


def late_title(steps1, steps2):
    acl = Acl()
    assert acl.lib.aclInit(None) == 0
    acl.set_device(0)
    acl.steps(steps1)
    title = pause(1)
    prefix, _, name = title.partition("::")
    set_process_title(name, prefix=prefix)
    acl.steps(steps2)
    pause(2)
    acl.reset(0)


def fork_folder(folder, steps):
    acl = Acl()
    assert acl.lib.aclInit(None) == 0
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            acl.set_device(0)
            acl.steps(steps)
            acl.reset(0)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(pid, flush=True)
    return 0 if status == 0 else 1


def main():
    if sys.argv[1] == "late-title":
        late_title(int(sys.argv[2]), int(sys.argv[3]))
        return 0
    return fork_folder(sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    sys.exit(main())
