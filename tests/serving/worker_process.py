"""The model worker (vllm-ascend's NPUWorker, reduced) and vLLM's WorkerProc around it.

`Worker`: init_device (aclInit, aclrtSetDevice of its local rank: a device id the process sees,
which ASCEND_RT_VISIBLE_DEVICES maps to a host device; with expert parallelism the engines' HCCL
communicator, expert_parallel.py), load_model, then per request one prefill and max_tokens
decode steps. With tensor parallelism 1 the engine core runs it in its own process
(vLLM's UniProcExecutor); above 1 each rank is a process of its own (MultiprocExecutor):
`worker_proc_main` follows vllm/v1/executor/multiproc_executor.py `WorkerProc.__init__`:
titled `VLLM::Worker` first, `Worker[_DP<n>][_TP<m>]` only after init_device.

SIGTERM/SIGINT are ignored here so that a signal to the whole process group lets the API server
shut everything down in order (the final npuprobe flush happens in aclrtResetDevice/aclFinalize);
a worker whose parent is gone exits.
"""
import os
import queue
import signal
import sys

from expert_parallel import ExpertParallel
from fake_cann import AclRuntime, OpApi
from model_runner import ModelRunner
from process_title import set_process_title

PARENT_CHECK_S = 1.0


class Worker:
    def __init__(self, local_rank, options):
        self.local_rank, self.options = local_rank, options
        self.runtime = self.runner = self.ep = None

    def init_device(self):
        self.runtime = AclRuntime()
        self.runtime.call("aclInit", None)
        self.runtime.call("aclrtSetDevice", self.local_rank)
        o = self.options
        if o.get("expert_parallel"):
            # The EP group (tensor parallel 1: the DP ranks), bound to the device just set.
            self.ep = ExpertParallel(self.runtime, o["dp_rank"], o["dp_size"], o["ep_channel"],
                                     o.get("eplb_step_interval"))

    def load_model(self):
        self.runner = ModelRunner(self.runtime, OpApi(), self.local_rank,
                                  task_queue=self.options["task_queue"],
                                  graph=self.options["graph"], expert_parallel=self.ep)
        self.runner.load()

    def execute(self, prompt_tokens, max_tokens):
        self.runner.prefill(prompt_tokens)
        for _ in range(max_tokens):
            self.runner.decode()
        return 1 + max_tokens

    def shutdown(self):
        if self.runner is not None:
            self.runner.close()
        if self.ep is not None:
            self.ep.close()
        if self.runtime is not None:
            self.runtime.call("aclrtResetDevice", self.local_rank)
            self.runtime.call("aclFinalize")


def worker_title(dp_rank, dp_size, tp_rank, tp_size):
    """WorkerProc.setup_proc_title_and_log_prefix once the parallel groups exist."""
    name = "Worker"
    if dp_size > 1:
        name += f"_DP{dp_rank}"
    if tp_size > 1:
        name += f"_TP{tp_rank}"
    return name


def worker_proc_main(rank, dp_rank, dp_size, tp_size, options, requests, responses):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    worker = Worker(rank, options)
    try:
        set_process_title("Worker")  # before the parallel groups exist
        worker.init_device()
        set_process_title(worker_title(dp_rank, dp_size, rank, tp_size))
        worker.load_model()
    except Exception as error:
        responses.put(("failed", rank, f"worker {rank}: {error}"))
        sys.exit(1)
    responses.put(("ready", rank, os.getpid()))
    try:
        while True:
            try:
                item = requests.get(timeout=PARENT_CHECK_S)
            except queue.Empty:
                if os.getppid() != parent:
                    return  # the engine core is gone: nobody will send the stop
                continue
            if item is None:
                return
            try:
                responses.put(("done", rank, worker.execute(*item)))
            except Exception as error:
                responses.put(("error", rank, f"worker {rank}: {error}"))
    finally:
        worker.shutdown()
