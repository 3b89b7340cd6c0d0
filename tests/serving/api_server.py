#!/usr/bin/python3
"""A vLLM-shaped OpenAI API server over the fake NPU: the process and metrics shape of
`vllm serve` on vLLM-Ascend, for end-to-end tests of npuprobe (tests/serving/README.md).

    build/bin/npuprobe run --dir /tmp/m -- /usr/bin/python3 tests/serving/api_server.py \
        --devices 0,1 --data-parallel --port 8000

Endpoints: POST /v1/completions {model, prompt, max_tokens}, GET /health, GET /metrics.
The CANN libraries are loaded by soname: put their folder (build/mock/lib) on LD_LIBRARY_PATH.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import serving_metrics
from worker_pool import WorkerError, WorkerPool

MODEL_NAME = "npuprobe-mock-llm"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 = any free port (see --port-file)")
    p.add_argument("--port-file", help="write the bound port here once listening")
    p.add_argument("--devices", default="0", help="comma-separated device ids, one worker each")
    p.add_argument("--data-parallel", action="store_true",
                   help="workers are data-parallel ranks: VLLM_DP_RANK=<worker index>")
    p.add_argument("--start-method", choices=("spawn", "fork"), default="spawn")
    p.add_argument("--task-queue", action="store_true", help="launch from a task-queue thread")
    p.add_argument("--graph", action="store_true", help="decode by graph replay")
    p.add_argument("--max-tokens-limit", type=int, default=256)
    args = p.parse_args(argv)
    args.devices = [int(d) for d in args.devices.split(",") if d.strip()]
    return args


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "npuprobe-serving-harness"
    # Set by main(): the pool, the metrics and the limits.
    pool = metrics = max_tokens_limit = None

    def do_GET(self):
        if self.path == "/health":
            self._send(200, b"", "text/plain")
        elif self.path == "/metrics":
            body, content_type = serving_metrics.metrics_exposition()
            self._send(200, body, content_type)
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def do_POST(self):
        if self.path != "/v1/completions":
            self._json(404, {"error": f"no route {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            prompt = str(body.get("prompt", ""))
            max_tokens = int(body.get("max_tokens", 16))
            if not 1 <= max_tokens <= self.max_tokens_limit:
                raise ValueError(f"max_tokens must be in 1..{self.max_tokens_limit}")
        except (ValueError, TypeError) as error:
            self._json(400, {"error": {"message": str(error), "type": "invalid_request_error"}})
            return
        self._json(*self._complete(body.get("model", MODEL_NAME), prompt, max_tokens))

    def _complete(self, model, prompt, max_tokens):
        prompt_tokens = max(1, len(prompt.split()))
        start = time.monotonic()
        self.metrics.running.inc()
        try:
            result = self.pool.submit(prompt_tokens, max_tokens)
        except WorkerError as error:
            return 500, {"error": {"message": str(error), "type": "server_error"}}
        finally:
            self.metrics.running.dec()
        self.metrics.e2e_latency.observe(time.monotonic() - start)
        self.metrics.request_success.inc()
        self.metrics.prompt_tokens.inc(prompt_tokens)
        self.metrics.generation_tokens.inc(max_tokens)
        text = " ".join(f"tok{i}" for i in range(max_tokens))
        return 200, {
            "id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max_tokens,
                      "total_tokens": prompt_tokens + max_tokens},
            "npu": result,  # which worker/device served it (not in OpenAI's schema)
        }

    def _json(self, status, obj):
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"api_server: {self.address_string()} {fmt % args}\n")


def write_port_file(path, port):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)  # readers never see a partial file


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        sys.exit("api_server: PROMETHEUS_MULTIPROC_DIR must be set (vLLM's multiprocess mode)")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Handler.metrics = serving_metrics.ServingMetrics(MODEL_NAME)
    Handler.max_tokens_limit = args.max_tokens_limit
    # Workers first: forking (--start-method fork) before the HTTP threads exist.
    pool = WorkerPool(args.devices, args.start_method, args.data_parallel, args.task_queue,
                      args.graph)
    Handler.pool = pool
    status = 0
    httpd = None
    try:
        pool.start()
        httpd = ThreadingHTTPServer((args.host, args.port), Handler)
        httpd.daemon_threads = True
        port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
        if args.port_file:
            write_port_file(args.port_file, port)
        print(f"api_server: serving {len(args.devices)} worker(s) on "
              f"http://{args.host}:{port} (pid {os.getpid()})", flush=True)
        while not stop.wait(0.5):  # a timed wait: the signal handler runs promptly
            pass
        print("api_server: stopping", flush=True)
    except WorkerError as error:
        print(f"api_server: {error}", file=sys.stderr, flush=True)
        status = 1
    finally:
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        pool.stop()
        serving_metrics.mark_process_dead(os.getpid())
    return status


if __name__ == "__main__":
    sys.exit(main())
