"""ctypes view of the (fake) CANN libraries, bound the way torch_npu and op-plugin bind them.

libascendcl.so is loaded by soname, like a library torch_npu links against: the caller puts the
CANN lib folder on LD_LIBRARY_PATH (the mock's build/mock/lib here). aclnn operators are looked
up op-plugin style: dlopen(libopapi.so) and dlsym of aclnnXxxGetWorkspaceSize / aclnnXxx, once
per operator. ctypes resolves attributes with dlsym(handle, name), which is exactly the lookup an
interposer must catch. Every ACL call is checked: a non-zero status raises AclError.
"""
import ctypes
from ctypes import POINTER, byref, c_double, c_int, c_int8, c_int32, c_int64, c_size_t, \
    c_uint32, c_uint64, c_void_p

ACL_MEM_MALLOC_HUGE_FIRST = 0
ACL_STREAM_FAST_LAUNCH = 0x1
ACL_STREAM_FAST_SYNC = 0x2
ACL_FLOAT16 = 1
ACL_FORMAT_ND = 2
ACL_MODEL_RI_CAPTURE_MODE_GLOBAL = 0


class AclError(RuntimeError):
    def __init__(self, function, status):
        super().__init__(f"{function} failed with {status}")
        self.function = function
        self.status = status


def _signature(lib, name, argtypes):
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    fn.restype = c_int
    return fn


# aclnn first stages: name -> argument types before (uint64_t *ws, aclOpExecutor **exec).
_FIRST_STAGE_ARGS = {
    "aclnnRmsNorm": [c_void_p, c_void_p, c_double, c_void_p, c_void_p],
    "aclnnMatmul": [c_void_p, c_void_p, c_void_p, c_int8],
    "aclnnFlashAttentionScore": [c_void_p, c_void_p, c_void_p, c_double, c_int64, c_void_p],
    "aclnnAdd": [c_void_p, c_void_p, c_void_p, c_void_p],
    "aclnnSilu": [c_void_p, c_void_p],
    "aclnnSoftmax": [c_void_p, c_int64, c_void_p],
}


class AclRuntime:
    """The aclrt* / aclmdlRI* entry points a torch_npu worker uses, from libascendcl.so."""

    def __init__(self, soname="libascendcl.so"):
        lib = ctypes.CDLL(soname, mode=ctypes.RTLD_GLOBAL)
        sig = lambda name, *args: _signature(lib, name, list(args))  # noqa: E731
        self._fns = {
            "aclInit": sig("aclInit", ctypes.c_char_p),
            "aclFinalize": sig("aclFinalize"),
            "aclrtSetDevice": sig("aclrtSetDevice", c_int32),
            "aclrtResetDevice": sig("aclrtResetDevice", c_int32),
            "aclrtCreateStreamWithConfig": sig("aclrtCreateStreamWithConfig", POINTER(c_void_p),
                                               c_uint32, c_uint32),
            "aclrtDestroyStream": sig("aclrtDestroyStream", c_void_p),
            "aclrtSynchronizeStream": sig("aclrtSynchronizeStream", c_void_p),
            "aclrtMalloc": sig("aclrtMalloc", POINTER(c_void_p), c_size_t, c_int),
            "aclrtFree": sig("aclrtFree", c_void_p),
            "aclrtMemcpyAsync": sig("aclrtMemcpyAsync", c_void_p, c_size_t, c_void_p, c_size_t,
                                    c_int, c_void_p),
            "aclmdlRICaptureBegin": sig("aclmdlRICaptureBegin", c_void_p, c_int),
            "aclmdlRICaptureEnd": sig("aclmdlRICaptureEnd", c_void_p, POINTER(c_void_p)),
            "aclmdlRIExecuteAsync": sig("aclmdlRIExecuteAsync", c_void_p, c_void_p),
            "aclmdlRIDestroy": sig("aclmdlRIDestroy", c_void_p),
        }

    def call(self, name, *args):
        status = self._fns[name](*args)
        if status != 0:
            raise AclError(name, status)

    def out_pointer(self, name, *args):
        """Calls an entry point whose last argument is a `void **` output; returns the pointer."""
        out = c_void_p()
        self.call(name, *args, byref(out))
        return out.value

    def create_stream(self):
        out = c_void_p()
        self.call("aclrtCreateStreamWithConfig", byref(out), 0,
                  ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC)
        return out.value

    def malloc(self, size):
        out = c_void_p()
        self.call("aclrtMalloc", byref(out), size, ACL_MEM_MALLOC_HUGE_FIRST)
        return out.value


class OpApi:
    """aclnn operators from libopapi.so, resolved once per operator like op-plugin's cache."""

    def __init__(self, soname="libopapi.so"):
        self._lib = ctypes.CDLL(soname)
        self._lib.aclCreateTensor.restype = c_void_p
        self._lib.aclCreateTensor.argtypes = [POINTER(c_int64), c_uint64, c_int, POINTER(c_int64),
                                              c_int64, c_int, POINTER(c_int64), c_uint64, c_void_p]
        self._lib.aclDestroyTensor.argtypes = [c_void_p]
        self._ops = {}

    def _resolve(self, op):
        if op not in self._ops:
            first = _signature(self._lib, op + "GetWorkspaceSize",
                               _FIRST_STAGE_ARGS[op] + [POINTER(c_uint64), POINTER(c_void_p)])
            second = _signature(self._lib, op, [c_void_p, c_uint64, c_void_p, c_void_p])
            self._ops[op] = (first, second)
        return self._ops[op]

    def create_tensor(self, dims, data):
        view = (c_int64 * len(dims))(*dims)
        tensor = self._lib.aclCreateTensor(view, len(dims), ACL_FLOAT16, None, 0, ACL_FORMAT_ND,
                                           view, len(dims), data)
        if not tensor:
            raise AclError("aclCreateTensor", -1)
        return tensor

    def destroy_tensor(self, tensor):
        self._lib.aclDestroyTensor(tensor)

    def plan(self, op, *args):
        """First stage, on the calling ("Python") thread: returns (workspace size, executor)."""
        first, _ = self._resolve(op)
        ws, executor = c_uint64(), c_void_p()
        status = first(*args, byref(ws), byref(executor))
        if status != 0:
            raise AclError(op + "GetWorkspaceSize", status)
        return ws.value, executor.value

    def launch(self, op, workspace, workspace_size, executor, stream):
        """Second stage: enqueues the kernel (possibly from the task-queue thread)."""
        _, second = self._resolve(op)
        status = second(workspace, workspace_size, executor, stream)
        if status != 0:
            raise AclError(op, status)
