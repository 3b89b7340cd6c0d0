"""How an engine core runs its model: vLLM's UniProcExecutor (tensor parallel size 1: the worker
lives in the engine core's own process) and MultiprocExecutor (one process per tensor-parallel
rank, started with VLLM_WORKER_MULTIPROC_METHOD: spawn or fork; every request is broadcast to
all ranks and the engine waits for each)."""
import multiprocessing
import queue
import time

from worker_process import Worker, worker_proc_main


class ExecutorError(RuntimeError):
    pass


class UniProcExecutor:
    def __init__(self, options):
        self.worker = Worker(0, options)

    def start(self):
        self.worker.init_device()
        self.worker.load_model()

    def execute(self, prompt_tokens, max_tokens):
        return {"devices": [0], "steps": self.worker.execute(prompt_tokens, max_tokens)}

    def shutdown(self):
        self.worker.shutdown()


class MultiprocExecutor:
    def __init__(self, dp_rank, dp_size, tp_size, options):
        self.context = multiprocessing.get_context(options["start_method"])
        self.args = (dp_rank, dp_size, tp_size, options)
        self.tp_size = tp_size
        self.responses = self.context.Queue()
        self.requests, self.processes = [], []

    def start(self, ready_timeout_s=120):
        dp_rank, dp_size, tp_size, options = self.args
        for rank in range(tp_size):
            requests = self.context.Queue()
            process = self.context.Process(
                target=worker_proc_main, name=f"VllmWorker-{rank}", daemon=True,
                args=(rank, dp_rank, dp_size, tp_size, options, requests, self.responses))
            process.start()
            self.requests.append(requests)
            self.processes.append(process)
        self._collect("ready", ready_timeout_s)

    def _collect(self, want, timeout_s):
        """One answer per rank; returns {rank: payload}."""
        answers, deadline = {}, time.monotonic() + timeout_s
        while len(answers) < self.tp_size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecutorError(f"workers {sorted(set(range(self.tp_size)) - set(answers))} "
                                    f"did not answer {want} in {timeout_s} s")
            try:
                kind, rank, payload = self.responses.get(timeout=min(left, 1.0))
            except queue.Empty:
                dead = [p.name for p in self.processes if not p.is_alive()]
                if dead:
                    raise ExecutorError(f"{dead[0]} exited")
                continue
            if kind != want:
                raise ExecutorError(payload)
            answers[rank] = payload
        return answers

    def execute(self, prompt_tokens, max_tokens):
        for requests in self.requests:
            requests.put((prompt_tokens, max_tokens))
        steps = self._collect("done", 120)
        return {"devices": list(range(self.tp_size)), "steps": steps[0]}

    def shutdown(self, timeout_s=20):
        for requests in self.requests:
            requests.put(None)
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
