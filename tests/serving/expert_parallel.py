"""Expert parallelism across the data-parallel engines (vLLM's --enable-expert-parallel with
tensor parallel size 1: the EP group is the DP group) and EPLB's weight rebalancing
(--enable-eplb, --eplb-step-interval).

The communicator: every engine joins one HCCL communicator of dp_size ranks (rank = dp rank) in
init_device, after aclrtSetDevice, as torch_npu's ProcessGroupHCCL does: rank 0 makes the root
info with HcclGetRootInfo and hands it to the others through the harness (a queue the engine
manager made; vLLM's DP group uses its TCP store), then every rank calls HcclCommInitRootInfo,
which blocks until all ranks arrived. libhccl.so is loaded by soname with ctypes: dlopen and
dlsym(handle), torch_npu's function loader for HcclAlltoAllV.

Per MoE layer of a forward: one HcclAlltoAllV dispatching the tokens to their experts and one
combining the results back. Every `step_interval` steps of a worker, EPLB moves experts:
EPLB_MOVED_EXPERTS device-to-device aclrtMemcpyAsync copies of one expert's weights each, then
an HcclBroadcast of the moved weights from rank 0, enqueued before the step's wait (the step
that rebalances is longer).

Not as vLLM: DP ranks do not step in lockstep here (vLLM runs dummy batches on idle ranks so
that every rank joins every collective); the mock's collectives do not wait for peers on the
device, so an idle rank simply makes no collectives.
"""
import ctypes
import queue
from ctypes import POINTER, byref, c_int, c_uint32, c_uint64, c_void_p

from model_runner import HIDDEN

HCCL_DATA_TYPE_BFP16 = 11
HCCL_ROOT_INFO_BYTES = 4108
ACL_MEMCPY_DEVICE_TO_DEVICE = 3
TOP_K = 2  # experts per token
EXPERT_BYTES = 1 << 20  # one expert's weights (bf16)
EPLB_MOVED_EXPERTS = 4  # experts one rebalance moves
# One rebalance's broadcast: the moved experts' weights, in bf16 elements.
BROADCAST_COUNT = EPLB_MOVED_EXPERTS * EXPERT_BYTES // 2
BROADCAST_BYTES = BROADCAST_COUNT * 2
ROOT_INFO_TIMEOUT_S = 60


class HcclError(RuntimeError):
    def __init__(self, function, status):
        super().__init__(f"{function} failed with {status}")


class Hccl:
    """The HCCL entry points a worker uses, from libhccl.so (by soname, on LD_LIBRARY_PATH)."""

    def __init__(self, soname="libhccl.so"):
        lib = ctypes.CDLL(soname)

        def sig(name, *args):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = list(args), c_int
            return fn
        self._fns = {
            "HcclGetRootInfo": sig("HcclGetRootInfo", c_void_p),
            "HcclCommInitRootInfo": sig("HcclCommInitRootInfo", c_uint32, c_void_p, c_uint32,
                                        POINTER(c_void_p)),
            "HcclCommDestroy": sig("HcclCommDestroy", c_void_p),
            "HcclAlltoAllV": sig("HcclAlltoAllV", c_void_p, c_void_p, c_void_p, c_int, c_void_p,
                                 c_void_p, c_void_p, c_int, c_void_p, c_void_p),
            "HcclBroadcast": sig("HcclBroadcast", c_void_p, c_uint64, c_int, c_uint32, c_void_p,
                                 c_void_p),
        }

    def call(self, name, *args):
        status = self._fns[name](*args)
        if status != 0:
            raise HcclError(name, status)


def rendezvous_root_info(hccl, rank, size, channel):
    """Rank 0 makes the root info and hands it to every other rank; the others receive it."""
    root = ctypes.create_string_buffer(HCCL_ROOT_INFO_BYTES)
    if rank == 0:
        hccl.call("HcclGetRootInfo", root)
        for _ in range(size - 1):
            channel.put(root.raw)
    else:
        try:
            root.raw = channel.get(timeout=ROOT_INFO_TIMEOUT_S)
        except queue.Empty:
            raise HcclError("root info from rank 0", "timeout") from None
    return root


class ExpertParallel:
    """One rank's EP communicator, its MoE collectives and EPLB rebalancing."""

    def __init__(self, runtime, rank, size, channel, step_interval=None):
        self.rt, self.rank, self.size = runtime, rank, size
        self.step_interval = step_interval  # None: EPLB off
        self.hccl = Hccl()
        root = rendezvous_root_info(self.hccl, rank, size, channel)
        self.comm = c_void_p()
        self.hccl.call("HcclCommInitRootInfo", size, root, rank, byref(self.comm))
        self.expert_src = self.expert_dst = None
        self.rebalances = 0

    def load(self, allocator):
        """The weights EPLB moves: where the experts are now and where they go."""
        if self.step_interval:
            bytes_ = EPLB_MOVED_EXPERTS * EXPERT_BYTES
            self.expert_src = allocator.allocate(bytes_)
            self.expert_dst = allocator.allocate(bytes_)

    def counts(self, tokens):
        """Elements this rank sends to each rank: its tokens' top-k hidden states, spread over
        the ranks (the first ranks take the remainder); the same array is what it receives."""
        rows = tokens * TOP_K
        per_rank = [rows // self.size + (1 if r < rows % self.size else 0)
                    for r in range(self.size)]
        counts = (c_uint64 * self.size)(*(n * HIDDEN for n in per_rank))
        displs, total = (c_uint64 * self.size)(), 0
        for r in range(self.size):
            displs[r], total = total, total + counts[r]
        return counts, displs

    def all_to_all(self, send, recv, counts, displs, stream):
        """One dispatch or combine."""
        self.hccl.call("HcclAlltoAllV", send, counts, displs, HCCL_DATA_TYPE_BFP16, recv, counts,
                       displs, HCCL_DATA_TYPE_BFP16, self.comm, stream)

    def rebalance_due(self, step):
        return bool(self.step_interval) and (step + 1) % self.step_interval == 0

    def rebalance(self, stream):
        """EPLB's rearrangement: the moved experts copied into place, then broadcast."""
        for e in range(EPLB_MOVED_EXPERTS):
            offset = e * EXPERT_BYTES
            self.rt.call("aclrtMemcpyAsync", self.expert_dst + offset, EXPERT_BYTES,
                         self.expert_src + offset, EXPERT_BYTES, ACL_MEMCPY_DEVICE_TO_DEVICE,
                         stream)
        self.hccl.call("HcclBroadcast", self.expert_dst, BROADCAST_COUNT, HCCL_DATA_TYPE_BFP16,
                       0, self.comm, stream)
        self.rebalances += 1

    def close(self):
        if self.comm:
            self.hccl.call("HcclCommDestroy", self.comm)
            self.comm = c_void_p()
