"""A Python process that drives the mocked ACL through ctypes (as torch_npu's linked calls do),
from multiprocessing workers started with fork or spawn, and from threads that come and go.
The parent itself never calls ACL. Usage: acl_worker.py fork|spawn WORKERS STEPS LAUNCHES"""
import ctypes
import multiprocessing
import os
import sys
import threading


def acl():
    lib = ctypes.CDLL(os.path.join(os.environ["NPU_MOCK_LIB"], "libascendcl.so"))
    return lib


def one_step(lib, stream, kernel, launches):
    for _ in range(launches):
        rc = lib.aclrtLaunchKernel(kernel, 1, None, ctypes.c_size_t(0), stream)
        assert rc == 0, rc
    assert lib.aclrtSynchronizeStream(stream) == 0


def worker(steps, launches):
    lib = acl()
    lib.npumock_get_function.argtypes = [ctypes.c_char_p, ctypes.c_uint32,
                                         ctypes.POINTER(ctypes.c_void_p)]
    lib.aclrtLaunchKernel.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                                      ctypes.c_size_t, ctypes.c_void_p]
    lib.aclrtSynchronizeStream.argtypes = [ctypes.c_void_p]
    assert lib.aclInit(None) == 0
    assert lib.aclrtSetDevice(0) == 0
    stream = ctypes.c_void_p()
    assert lib.aclrtCreateStream(ctypes.byref(stream)) == 0
    kernel = ctypes.c_void_p()
    assert lib.npumock_get_function(b"k", 0, ctypes.byref(kernel)) == 0
    # Half of the steps on a short-lived thread that sets the device itself.
    half = steps // 2

    def on_thread():
        assert lib.aclrtSetDevice(0) == 0
        for _ in range(half):
            one_step(lib, stream, kernel, launches)

    t = threading.Thread(target=on_thread)
    t.start()
    t.join()
    for _ in range(steps - half):
        one_step(lib, stream, kernel, launches)
    assert lib.aclrtDestroyStream(stream) == 0
    assert lib.aclrtResetDevice(0) == 0


def main():
    method, workers, steps, launches = sys.argv[1], *map(int, sys.argv[2:5])
    ctx = multiprocessing.get_context(method)
    procs = [ctx.Process(target=worker, args=(steps, launches)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(" ".join(str(p.exitcode) for p in procs))
    return 0 if all(p.exitcode == 0 for p in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
