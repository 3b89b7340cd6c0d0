"""torch_npu's task queue: the Python thread plans each operator and hands the launch to a
dedicated thread, which binds the same device once and enqueues the kernels; the Python thread
drains the queue before it blocks on the stream. So launches and the synchronize that ends a
step arrive on different threads, as npuprobe sees them under real torch_npu."""
import queue
import threading


class TaskQueue:
    def __init__(self, runtime, device):
        self._tasks = queue.Queue()
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(runtime, device),
                                        name=f"npu-task-queue-{device}", daemon=True)
        self._thread.start()

    def _run(self, runtime, device):
        bound = False
        while True:
            task = self._tasks.get()
            try:
                if task is None:
                    return
                if not bound:
                    runtime.call("aclrtSetDevice", device)
                    bound = True
                if self._error is None:
                    task()
            except Exception as error:  # reported on the Python thread at the next drain
                self._error = error
            finally:
                self._tasks.task_done()

    def submit(self, task):
        self._tasks.put(task)

    def drain(self):
        """Waits until every submitted launch has been made; re-raises a launch failure."""
        self._tasks.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self):
        self._tasks.put(None)
        self._thread.join(timeout=10)
