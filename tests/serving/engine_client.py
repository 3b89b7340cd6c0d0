"""An API server's side of the engines (vLLM's DP load-balancing client, reduced): requests go
round-robin over the engine cores' input queues, answers come back on this server's own output
queue, read by one thread that wakes the HTTP handler waiting for that request id."""
import itertools
import threading


class EngineClientError(RuntimeError):
    pass


class _Pending:
    def __init__(self):
        self.done = threading.Event()
        self.kind = self.payload = None


class EngineClient:
    def __init__(self, index, engine_inputs, output):
        self.index, self.engine_inputs, self.output = index, engine_inputs, output
        self._pending, self._lock = {}, threading.Lock()
        self._ids = itertools.count(1)
        # Each API server starts at its own engine: several servers spread even their first
        # requests (vLLM balances on the engines' load; round-robin is enough here).
        count = len(engine_inputs)
        self._next_engine = itertools.cycle([(index + i) % count for i in range(count)])
        self._reader = threading.Thread(target=self._read, name="engine-outputs", daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            item = self.output.get()
            if item is None:
                return
            kind, request_id, payload = item
            with self._lock:
                pending = self._pending.pop(request_id, None)
            if pending is not None:
                pending.kind, pending.payload = kind, payload
                pending.done.set()

    def submit(self, prompt_tokens, max_tokens, timeout_s=120):
        pending = _Pending()
        with self._lock:
            request_id = next(self._ids)
            engine = next(self._next_engine)
            self._pending[request_id] = pending
        self.engine_inputs[engine].put((self.index, request_id, prompt_tokens, max_tokens))
        if not pending.done.wait(timeout_s):
            with self._lock:
                self._pending.pop(request_id, None)
            raise EngineClientError(f"request {request_id} timed out on engine DP{engine}")
        if pending.kind != "done":
            raise EngineClientError(pending.payload)
        return pending.payload

    def close(self):
        self.output.put(None)
        self._reader.join(5)
