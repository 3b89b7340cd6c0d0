#!/usr/bin/python3
"""A vLLM-shaped OpenAI API server over the fake NPU: the process, title, device and metrics
shape of `vllm serve` on vLLM-Ascend, for end-to-end tests of npuprobe (tests/serving/README.md).

    build/bin/npuprobe run --dir /tmp/m -- /usr/bin/python3 tests/serving/api_server.py \\
        --data-parallel-size 2 --tensor-parallel-size 2 --port 8000

As vllm/entrypoints/cli/serve.py: `--api-server-count` defaults to the data-parallel size. One
API server serves HTTP in this process and starts the engine cores itself; several are spawned
processes (`VLLM::APIServer_<i>`) sharing one listening socket, with PROMETHEUS_MULTIPROC_DIR
made here as a TemporaryDirectory when it is not set (prometheus_setup.py). Each data-parallel
rank is an engine core process (`VLLM::EngineCore_DP<n>`, its own ASCEND_RT_VISIBLE_DEVICES:
engine_manager.py); tensor parallelism above 1 gives it one worker process per rank
(`VLLM::Worker_DP<n>_TP<m>`, titled after device init: worker_process.py). VLLM_DP_RANK is never
set. Endpoints: POST /v1/completions {model, prompt, max_tokens}, GET /health, GET /metrics.
The CANN libraries are loaded by soname: put their folder (build/mock/lib) on LD_LIBRARY_PATH.
"""
import argparse
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import prometheus_setup
from engine_client import EngineClient, EngineClientError
from engine_manager import EngineError, EngineManager
from process_title import set_process_title

PARENT_CHECK_S = 1.0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="npuprobe-mock-llm")
    p.add_argument("--served-model-name", help="the model name in answers and metrics")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 = any free port (see --port-file)")
    p.add_argument("--port-file", help="write the bound port here once serving")
    p.add_argument("--data-parallel-size", "-dp", type=int, default=1)
    p.add_argument("--tensor-parallel-size", "-tp", type=int, default=1)
    p.add_argument("--api-server-count", type=int,
                   help="API server processes (default: the data-parallel size, as vLLM)")
    p.add_argument("--start-method", choices=("spawn", "fork"),
                   default=os.environ.get("VLLM_WORKER_MULTIPROC_METHOD", "spawn"),
                   help="how engine cores and workers start (VLLM_WORKER_MULTIPROC_METHOD)")
    p.add_argument("--task-queue", action="store_true", help="launch from a task-queue thread")
    p.add_argument("--graph", action="store_true", help="decode by graph replay")
    p.add_argument("--enable-expert-parallel", action="store_true",
                   help="MoE layers with experts across the DP engines (tensor parallel 1): "
                        "one HCCL communicator, two all-to-all-v per layer and step")
    p.add_argument("--enable-eplb", action="store_true",
                   help="expert rebalancing every --eplb-step-interval steps of an engine")
    p.add_argument("--eplb-step-interval", type=int, default=3000,
                   help="steps between two rebalances (vLLM's default 3000)")
    p.add_argument("--max-tokens-limit", type=int, default=256)
    args = p.parse_args(argv)
    if args.api_server_count is None:
        args.api_server_count = args.data_parallel_size
    if min(args.data_parallel_size, args.tensor_parallel_size, args.api_server_count) < 1:
        p.error("sizes and counts must be >= 1")
    if args.enable_eplb and not args.enable_expert_parallel:
        p.error("--enable-eplb needs --enable-expert-parallel")  # as vLLM's config check
    if args.enable_expert_parallel and (args.tensor_parallel_size != 1 or args.graph):
        p.error("--enable-expert-parallel: this harness runs it with tensor parallel 1, eager")
    if args.eplb_step_interval < 1:
        p.error("--eplb-step-interval must be >= 1")
    args.model_name = args.served_model_name or args.model
    args.options = {"task_queue": args.task_queue, "graph": args.graph,
                    "start_method": args.start_method,
                    "expert_parallel": args.enable_expert_parallel,
                    "eplb_step_interval": args.eplb_step_interval if args.enable_eplb else None}
    return args


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "npuprobe-serving-harness"
    # Set by serve(): the engine client, the metrics, the model name and the limit.
    client = metrics = model_name = max_tokens_limit = None

    def do_GET(self):
        if self.path == "/health":
            self._send(200, b"", "text/plain")
        elif self.path == "/metrics":
            body, content_type = prometheus_setup.metrics_exposition()
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
        self._json(*self._complete(prompt, max_tokens))

    def _complete(self, prompt, max_tokens):
        prompt_tokens = max(1, len(prompt.split()))
        start = time.monotonic()
        self.metrics.running.inc()
        try:
            result = self.client.submit(prompt_tokens, max_tokens)
        except EngineClientError as error:
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
            "created": int(time.time()), "model": self.model_name,
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max_tokens,
                      "total_tokens": prompt_tokens + max_tokens},
            "npu": result,  # which engine and devices served it (not in OpenAI's schema)
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


def start_http(sock, client, model_name, max_tokens_limit):
    """HTTP on an already listening socket (several API servers share one), in a thread."""
    import serving_metrics  # after PROMETHEUS_MULTIPROC_DIR is settled: it picks the values
    Handler.metrics = serving_metrics.ServingMetrics(model_name)
    Handler.client, Handler.model_name = client, model_name
    Handler.max_tokens_limit = max_tokens_limit
    httpd = ThreadingHTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
    httpd.socket.close()
    # Several API servers share the listening socket: all of them wake for a connection and one
    # accepts it. A blocking accept() would keep the others in accept() until the next one, so
    # that at the end of a stream one of them never sees its shutdown (it hung the demo's stop
    # for 20 s). Non-blocking, the others return and poll again (socketserver ignores the
    # BlockingIOError); the connections accepted stay blocking, as the handlers expect.
    sock.setblocking(False)
    httpd.socket = sock
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
    return httpd


def run_api_server_worker(index, sock, engine_inputs, output, model_name, max_tokens_limit,
                          ready, stop):
    """One of several API servers (vllm/entrypoints/cli/serve.py run_api_server_worker_proc)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent stops us in order
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_process_title("APIServer", str(index))
    parent = os.getppid()
    client = EngineClient(index, engine_inputs, output)
    httpd = start_http(sock, client, model_name, max_tokens_limit)
    ready.put(index)
    while not stop.wait(PARENT_CHECK_S) and os.getppid() == parent:
        pass
    httpd.shutdown()
    client.close()
    prometheus_setup.mark_process_dead(os.getpid())


def write_port_file(path, port):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)  # readers never see a partial file


class Server:
    """The `vllm serve` process: engines, then one API server here or several spawned."""

    def __init__(self, args):
        self.args = args
        self.engines = self.client = self.httpd = None
        self.api_servers, self.api_stop = [], None

    def start(self):
        a = self.args
        multi = a.api_server_count > 1
        if multi:
            prometheus_setup.setup_multiprocess_prometheus()
        sock = socket.create_server((a.host, a.port), backlog=128)
        self.engines = EngineManager(a.data_parallel_size, a.tensor_parallel_size, a.options,
                                     a.api_server_count)
        self.engines.start()
        if multi:
            spawn = multiprocessing.get_context("spawn")
            ready, self.api_stop = spawn.Queue(), spawn.Event()
            for i in range(a.api_server_count):
                process = spawn.Process(
                    target=run_api_server_worker, name=f"ApiServer_{i}",
                    args=(i, sock, self.engines.inputs, self.engines.outputs[i], a.model_name,
                          a.max_tokens_limit, ready, self.api_stop))
                process.start()
                self.api_servers.append(process)
            for _ in self.api_servers:
                ready.get(timeout=60)
        else:
            self.client = EngineClient(0, self.engines.inputs, self.engines.outputs[0])
            self.httpd = start_http(sock, self.client, a.model_name, a.max_tokens_limit)
        port = sock.getsockname()[1]
        if a.port_file:
            write_port_file(a.port_file, port)
        print(f"api_server: {a.api_server_count} API server(s), {a.data_parallel_size} engine(s) "
              f"x {a.tensor_parallel_size} worker(s) on http://{a.host}:{port} "
              f"(pid {os.getpid()})", flush=True)

    def stop(self):
        if self.api_stop is not None:
            self.api_stop.set()
            for process in self.api_servers:
                process.join(20)
                if process.is_alive():
                    process.kill()
                    process.join(5)
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.engines is not None:
            self.engines.stop()
        if self.client is not None:
            self.client.close()
            prometheus_setup.mark_process_dead(os.getpid())
        prometheus_setup.cleanup()  # every writer has exited


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = Server(args)
    status = 0
    try:
        server.start()
        while not stop.wait(0.5):  # a timed wait: the signal handler runs promptly
            pass
        print("api_server: stopping", flush=True)
    except (EngineError, OSError) as error:
        print(f"api_server: {error}", file=sys.stderr, flush=True)
        status = 1
    finally:
        server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
