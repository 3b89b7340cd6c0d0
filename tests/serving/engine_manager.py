"""The engine cores of a server (vllm/v1/engine/utils.py `CoreEngineProcManager`): one process per
data-parallel rank, started with VLLM_WORKER_MULTIPROC_METHOD (spawn or fork). With data
parallelism each engine starts under its own ASCEND_RT_VISIBLE_DEVICES
(`set_device_control_env_var`, `get_device_indices`): the host devices
dp*world .. (dp+1)*world-1 of those the server itself sees (vllm-ascend's platform:
device_control_env_var = ASCEND_RT_VISIBLE_DEVICES), so every engine's devices are 0..world-1 to
itself. Without data parallelism the engine inherits the server's environment."""
import contextlib
import multiprocessing
import os
import queue
import time

from engine_core import run_engine_core

DEVICE_CONTROL_ENV_VAR = "ASCEND_RT_VISIBLE_DEVICES"


class EngineError(RuntimeError):
    pass


def physical_device_ids(world):
    """`device_id_to_physical_device_id` for every id the server sees."""
    listed = os.environ.get(DEVICE_CONTROL_ENV_VAR)
    if listed:
        return [int(d) for d in listed.split(",")]
    return list(range(world))


@contextlib.contextmanager
def device_control_env_var(value):
    old = os.environ.get(DEVICE_CONTROL_ENV_VAR)
    os.environ[DEVICE_CONTROL_ENV_VAR] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(DEVICE_CONTROL_ENV_VAR, None)
        else:
            os.environ[DEVICE_CONTROL_ENV_VAR] = old


class EngineManager:
    def __init__(self, dp_size, tp_size, options, output_queues_count):
        self.context = multiprocessing.get_context(options["start_method"])
        self.dp_size, self.tp_size, self.options = dp_size, tp_size, options
        # Spawn-context queues: API server processes are always spawned (vLLM's
        # APIServerProcessManager), and Python refuses a fork-context lock in a spawned child.
        queues = multiprocessing.get_context("spawn")
        self.inputs = [queues.Queue() for _ in range(dp_size)]
        self.outputs = [queues.Queue() for _ in range(output_queues_count)]
        self.ready = queues.Queue()
        if options.get("expert_parallel"):
            # Rank 0's HCCL root info to the other engines (vLLM's DP group: its TCP store).
            self.options = dict(options, ep_channel=queues.Queue())
        self.processes = []

    def start(self, ready_timeout_s=120):
        hosts = physical_device_ids(self.dp_size * self.tp_size)
        for dp in range(self.dp_size):
            process = self.context.Process(
                target=run_engine_core, name=f"EngineCore_DP{dp}",
                args=(dp, self.dp_size, self.tp_size, self.options, self.inputs[dp],
                      self.outputs, self.ready))
            if self.dp_size > 1:
                ids = hosts[dp * self.tp_size:(dp + 1) * self.tp_size]
                if len(ids) < self.tp_size:
                    raise EngineError(f"DP{dp} needs {self.tp_size} devices; "
                                      f"{DEVICE_CONTROL_ENV_VAR} lists {hosts}")
                with device_control_env_var(",".join(map(str, ids))):
                    process.start()
            else:
                process.start()
            self.processes.append(process)
        waiting, deadline = set(range(self.dp_size)), time.monotonic() + ready_timeout_s
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                raise EngineError(f"engines {sorted(waiting)} not ready after {ready_timeout_s} s")
            try:
                kind, dp, detail = self.ready.get(timeout=min(left, 1.0))
            except queue.Empty:
                dead = [i for i in waiting if not self.processes[i].is_alive()]
                if dead:
                    raise EngineError(f"engine core DP{dead[0]} exited during start-up")
                continue
            if kind == "failed":
                raise EngineError(detail)
            waiting.discard(dp)
            print(f"engine core DP{dp} ready (pid {detail})", flush=True)

    def stop(self, timeout_s=30):
        """Asks every engine to finish (normal exit: npuprobe flushes), kills stragglers."""
        for inputs in self.inputs:
            inputs.put(None)
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                print(f"{process.name} did not stop; killing it", flush=True)
                process.kill()
                process.join(5)
