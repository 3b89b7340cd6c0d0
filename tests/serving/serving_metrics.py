"""The API server's own Python metrics and its /metrics body, as vLLM does in multiprocess mode.

The metrics live in the same PROMETHEUS_MULTIPROC_DIR as npuprobe's files, so every scrape
exercises the coexistence of prometheus_client's files and npuprobe's. They are created (with
their label values) at start-up, before any worker touches ACL: like vLLM, whose files exist
before the first forward, and npuprobe's store format `auto` follows the format of these files.
"""
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, \
    generate_latest, multiprocess

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


def metrics_exposition():
    """vLLM's /metrics in multiprocess mode: a fresh registry over the folder for each scrape."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid):
    """Drops the live gauge files of `pid` (vLLM does this for its API server at shutdown)."""
    multiprocess.mark_process_dead(pid)
