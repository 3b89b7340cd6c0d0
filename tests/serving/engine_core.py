"""An engine core process (vllm/v1/engine/core.py `EngineCoreProc.run_engine_core`): titled
`VLLM::EngineCore_DP<n>` when there is data parallelism (else `VLLM::EngineCore`), before it
touches the device; runs its executor; serves requests from its input queue and answers on the
output queue of the API server that sent each one."""
import os
import queue
import signal
import sys

from executors import MultiprocExecutor, UniProcExecutor
from process_title import set_process_title

PARENT_CHECK_S = 1.0


def run_engine_core(dp_rank, dp_size, tp_size, options, inputs, outputs, ready):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the API server stops us in order
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if dp_size > 1:
        set_process_title("EngineCore", f"DP{dp_rank}")
    else:
        set_process_title("EngineCore")
    parent = os.getppid()
    options = dict(options, dp_rank=dp_rank, dp_size=dp_size)
    executor = (UniProcExecutor(options) if tp_size == 1
                else MultiprocExecutor(dp_rank, dp_size, tp_size, options))
    try:
        executor.start()
    except Exception as error:
        ready.put(("failed", dp_rank, f"engine core DP{dp_rank}: {error}"))
        sys.exit(1)
    ready.put(("ready", dp_rank, os.getpid()))
    try:
        while True:
            try:
                item = inputs.get(timeout=PARENT_CHECK_S)
            except queue.Empty:
                if os.getppid() != parent:
                    return
                continue
            if item is None:
                return
            api_index, request_id, prompt_tokens, max_tokens = item
            try:
                result = executor.execute(prompt_tokens, max_tokens)
                result.update(dp=dp_rank, visible=os.environ.get("ASCEND_RT_VISIBLE_DEVICES"))
                outputs[api_index].put(("done", request_id, result))
            except Exception as error:
                outputs[api_index].put(("error", request_id, f"engine DP{dp_rank}: {error}"))
    finally:
        executor.shutdown()
