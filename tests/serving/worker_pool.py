"""The API server's side of the workers: starts one worker process per device through
multiprocessing, dispatches requests round-robin over them and matches their answers.

Each worker has its own request queue; all answer on one response queue, read by one thread that
wakes the HTTP handler waiting for that request id.
"""
import itertools
import multiprocessing
import queue
import threading
import time

from worker_process import worker_main


class WorkerError(RuntimeError):
    pass


class _Pending:
    def __init__(self):
        self.done = threading.Event()
        self.kind = None
        self.payload = None


class WorkerPool:
    def __init__(self, devices, start_method="spawn", data_parallel=False, task_queue=False,
                 graph=False):
        self._context = multiprocessing.get_context(start_method)
        self._options = {"data_parallel": data_parallel, "task_queue": task_queue,
                         "graph": graph}
        self._devices = devices
        self._responses = self._context.Queue()
        self._requests = []
        self._processes = []
        self._pending = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._next_worker = itertools.cycle(range(len(devices)))
        self._reader = None

    def start(self, ready_timeout_s=120):
        for index, device in enumerate(self._devices):
            requests = self._context.Queue()
            process = self._context.Process(
                target=worker_main, name=f"npu-worker-{index}",
                args=(index, device, self._options, requests, self._responses))
            process.start()
            self._requests.append(requests)
            self._processes.append(process)
        self._wait_ready(ready_timeout_s)
        self._reader = threading.Thread(target=self._read_responses, name="worker-responses",
                                        daemon=True)
        self._reader.start()

    def _wait_ready(self, timeout_s):
        waiting = set(range(len(self._devices)))
        deadline = time.monotonic() + timeout_s
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerError(f"workers {sorted(waiting)} not ready after {timeout_s} s")
            try:
                kind, index, detail = self._responses.get(timeout=min(left, 1.0))
            except queue.Empty:
                dead = [i for i in waiting if not self._processes[i].is_alive()]
                if dead:
                    raise WorkerError(f"worker {dead[0]} exited during start-up")
                continue
            if kind == "failed":
                raise WorkerError(detail)
            waiting.discard(index)
            print(f"worker {index} ready on device {self._devices[index]} (pid {detail})",
                  flush=True)

    def _read_responses(self):
        while True:
            item = self._responses.get()
            if item is None:
                return
            kind, request_id, payload = item
            with self._lock:
                pending = self._pending.pop(request_id, None)
            if pending is not None:
                pending.kind, pending.payload = kind, payload
                pending.done.set()

    def submit(self, prompt_tokens, max_tokens, timeout_s=120):
        """Runs one request on the next worker (round-robin); returns the worker's result dict."""
        pending = _Pending()
        with self._lock:
            request_id = next(self._ids)
            worker = next(self._next_worker)
            self._pending[request_id] = pending
        self._requests[worker].put((request_id, prompt_tokens, max_tokens))
        if not pending.done.wait(timeout_s):
            with self._lock:
                self._pending.pop(request_id, None)
            raise WorkerError(f"request {request_id} timed out on worker {worker}")
        if pending.kind != "done":
            raise WorkerError(pending.payload)
        return pending.payload

    def stop(self, timeout_s=20):
        """Asks every worker to finish (normal exit, so npuprobe flushes), kills stragglers."""
        for requests in self._requests:
            requests.put(None)
        deadline = time.monotonic() + timeout_s
        for process in self._processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                print(f"{process.name} did not stop; killing it", flush=True)
                process.kill()
                process.join(5)
        if self._reader is not None:
            self._responses.put(None)
            self._reader.join(5)
