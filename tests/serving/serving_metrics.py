"""The API server's own Python metrics (vllm:*), as vLLM creates them in each API server.

With a multiprocess folder (several API servers, or a PROMETHEUS_MULTIPROC_DIR the user set) they
live in the same folder as npuprobe's files, so every scrape exercises their coexistence; with one
API server and no folder they stay in the process's own registry. They are created at start-up,
before any engine touches ACL: like vLLM, whose files exist before the first forward, and
npuprobe's store format `auto` follows the format of these files.
"""
from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServingMetrics:
    def __init__(self, model_name):
        labels = {"model_name": model_name}
        self.request_success = Counter(
            "vllm:request_success", "Finished requests.", ["model_name", "finished_reason"]
        ).labels(finished_reason="length", **labels)
        self.e2e_latency = Histogram(
            "vllm:e2e_request_latency_seconds", "End-to-end request latency.", ["model_name"],
            buckets=LATENCY_BUCKETS).labels(**labels)
        self.prompt_tokens = Counter(
            "vllm:prompt_tokens", "Prefill tokens processed.", ["model_name"]).labels(**labels)
        self.generation_tokens = Counter(
            "vllm:generation_tokens", "Generated tokens.", ["model_name"]).labels(**labels)
        self.running = Gauge(
            "vllm:num_requests_running", "Requests being served.", ["model_name"],
            multiprocess_mode="livesum").labels(**labels)
