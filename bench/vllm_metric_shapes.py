#!/usr/bin/python3
"""Writes one vLLM API/engine process's own metrics into PROMETHEUS_MULTIPROC_DIR with whatever
prometheus_client is on the path: the families, label names, buckets and gauge modes of vLLM's
PrometheusStatLogger (vllm-project/vllm, vllm/v1/metrics/loggers.py: labelnames
["model_name", "engine"], gauges multiprocess_mode="mostrecent", the request_success
finished_reason label, 1-2-5 token buckets up to max_model_len, the latency buckets), for
bench/collection_bench.py's Python-written folders. prometheus_client before 0.18 has no
`mostrecent`; there the gauges are `livesum`, as vLLM's v0 engine had them.

    vllm_metric_shapes.py ENGINE_INDEX
"""
import sys

from prometheus_client import Counter, Gauge, Histogram

MAX_MODEL_LEN = 4096
LATENCY = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
           120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0]
TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
        10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0]
ITL = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
       20.0, 40.0, 80.0]


def build_1_2_5_buckets(limit):
    buckets, exponent = [], 0
    while True:
        for m in (1, 2, 5):
            value = m * 10 ** exponent
            if value > limit:
                return buckets
            buckets.append(value)
        exponent += 1


def main():
    engine = sys.argv[1]
    labels = {"model_name": "m", "engine": engine}
    names = ["model_name", "engine"]
    mode = "mostrecent" if "mostrecent" in Gauge._MULTIPROC_MODES else "livesum"
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting",
                 "vllm:kv_cache_usage_perc"):
        Gauge(name, "gauge of " + name, names, multiprocess_mode=mode).labels(**labels).set(3)
    sleep = Gauge("vllm:engine_sleep_state", "Engine sleep state.", names + ["sleep_state"],
                  multiprocess_mode=mode)
    for state in ("awake", "weights_offloaded", "discard_all"):
        sleep.labels(sleep_state=state, **labels).set(1 if state == "awake" else 0)
    for name in ("vllm:prefix_cache_queries", "vllm:prefix_cache_hits", "vllm:num_preemptions",
                 "vllm:prompt_tokens", "vllm:generation_tokens"):
        Counter(name, "counter of " + name, names).labels(**labels).inc(7)
    success = Counter("vllm:request_success", "Count of successfully processed requests.",
                      names + ["finished_reason"])
    for reason in ("stop", "length", "abort"):
        success.labels(finished_reason=reason, **labels).inc(2)
    token_buckets = build_1_2_5_buckets(MAX_MODEL_LEN)
    histograms = [
        ("vllm:request_prompt_tokens", token_buckets), ("vllm:request_generation_tokens",
                                                        token_buckets),
        ("vllm:iteration_tokens_total", [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                         8192, 16384]),
        ("vllm:request_max_num_generation_tokens", token_buckets),
        ("vllm:request_params_n", [1, 2, 5, 10, 20]),
        ("vllm:request_params_max_tokens", token_buckets),
        ("vllm:time_to_first_token_seconds", TTFT), ("vllm:inter_token_latency_seconds", ITL),
        ("vllm:e2e_request_latency_seconds", LATENCY), ("vllm:request_queue_time_seconds",
                                                        LATENCY),
        ("vllm:request_inference_time_seconds", LATENCY),
        ("vllm:request_prefill_time_seconds", LATENCY),
        ("vllm:request_decode_time_seconds", LATENCY),
    ]
    for name, buckets in histograms:
        h = Histogram(name, "histogram of " + name, names, buckets=buckets).labels(**labels)
        for v in (0.004, 0.3, 2.0, 17.0, 300.0):
            h.observe(v)


if __name__ == "__main__":
    main()
