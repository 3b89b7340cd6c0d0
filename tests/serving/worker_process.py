"""One worker process per device (vLLM's engine core / model worker): binds its device, loads the
model, then serves requests from its queue: one prefill step, then max_tokens decode steps.

It is started by multiprocessing (spawn or fork), so it inherits LD_PRELOAD and npuprobe with it.
Stopping: the API server sends None. SIGTERM/SIGINT are ignored here so that a signal to the whole
process group (Ctrl-C, the smoke runner's stop) lets the API server shut the workers down in
order, and the final npuprobe flush happens at a normal exit; a worker whose parent is gone exits.
"""
import os
import queue
import signal
import sys
import time

from fake_cann import AclRuntime, OpApi
from model_runner import ModelRunner

PARENT_CHECK_S = 1.0


def worker_main(index, device, options, requests, responses):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if options["data_parallel"]:
        # Before the first ACL call: npuprobe reads its dp label when it starts, lazily.
        os.environ["VLLM_DP_RANK"] = str(index)
    parent = os.getppid()
    runtime = AclRuntime()
    runner = None
    try:
        runtime.call("aclInit", None)
        runtime.call("aclrtSetDevice", device)
        runner = ModelRunner(runtime, OpApi(), device, task_queue=options["task_queue"],
                             graph=options["graph"])
        runner.load()
    except Exception as error:
        responses.put(("failed", index, f"worker {index} (device {device}): {error}"))
        sys.exit(1)
    responses.put(("ready", index, os.getpid()))
    try:
        _serve(index, runner, requests, responses, parent)
    finally:
        runner.close()
        runtime.call("aclrtResetDevice", device)
        runtime.call("aclFinalize")


def _serve(index, runner, requests, responses, parent):
    while True:
        try:
            item = requests.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            if os.getppid() != parent:
                return  # the API server is gone: nobody will send the stop
            continue
        if item is None:
            return
        request_id, prompt_tokens, max_tokens = item
        start = time.monotonic()
        try:
            runner.prefill(prompt_tokens)
            for _ in range(max_tokens):
                runner.decode()
        except Exception as error:
            responses.put(("error", request_id, f"worker {index}: {error}"))
            continue
        responses.put(("done", request_id, {"worker": index, "device": runner.device,
                                            "steps": 1 + max_tokens,
                                            "seconds": time.monotonic() - start}))
