#!/usr/bin/python3
"""The Python way of recording one intercepted call (issue 8), for comparison with npuprobe.

What a Python metrics layer such as ms_service_metric does per event: prometheus_client (Debian's
0.16) in multiprocess mode (PROMETHEUS_MULTIPROC_DIR set to a private temp folder before the
import, as a multi-worker server must), one Histogram.observe and one Counter.inc per event, with
npuprobe's labels (dp, device, api) and npuprobe's call buckets (1 us to 1 s). Variants:

  empty_loop             the `for` loop alone (what every other row includes)
  timed_noop             two perf_counter_ns reads around a no-op call: Python's floor of a
                         timing wrapper
  observe_cached         Histogram child resolved once, one observe per event
  observe_inc_cached     Histogram and Counter children resolved once, observe + inc per event
  observe_inc_labels     .labels(...) per event, then observe + inc (the usual call site)
  timed_event            timed_noop + observe_inc_labels: the whole record of one call, the
                         counterpart of npuprobe's enabled launch wrapper

Prints one JSON object per line: {"variant": ..., "rep": i, "ns_per_event": x,
"cpu_ns_per_event": y, "prometheus_client": version}: the wall time of N events
(time.perf_counter_ns) divided by N, and the thread's CPU time (time.thread_time_ns) likewise.

usage: python_observe_bench.py [--events N] [--reps R]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

CALL_BUCKETS = (1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
                0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
LABELS = ("dp", "device", "api")
VALUES = ("0", "0", "kernel")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200000)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="npuprobe-pyobs-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder  # before the import: multiprocess mode
    try:
        run(args.events, args.reps)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(events, reps):
    from time import perf_counter_ns, thread_time_ns

    import prometheus_client
    from prometheus_client import Counter, Histogram
    from prometheus_client.values import ValueClass

    if "MultiProcess" not in getattr(ValueClass, "__qualname__", repr(ValueClass)):
        sys.exit("python_observe_bench: prometheus_client is not in multiprocess mode")

    hist = Histogram("npu:launch_latency", "Host time inside one launch-class call", LABELS,
                     buckets=CALL_BUCKETS)
    count = Counter("npu:launches", "Launch-class calls", LABELS)
    h_child = hist.labels(*VALUES)
    c_child = count.labels(*VALUES)
    value = 7.5e-8  # what a launch of the stub takes: the first bucket

    def noop():
        return 0

    def empty_loop(n):
        t0 = perf_counter_ns()
        for _ in range(n):
            pass
        return perf_counter_ns() - t0

    def timed_noop(n):
        clock = perf_counter_ns
        t0 = clock()
        for _ in range(n):
            a = clock()
            noop()
            b = clock()
        return clock() - t0 + 0 * (b - a)

    def observe_cached(n):
        observe = h_child.observe
        t0 = perf_counter_ns()
        for _ in range(n):
            observe(value)
        return perf_counter_ns() - t0

    def observe_inc_cached(n):
        observe = h_child.observe
        inc = c_child.inc
        t0 = perf_counter_ns()
        for _ in range(n):
            observe(value)
            inc()
        return perf_counter_ns() - t0

    def observe_inc_labels(n):
        t0 = perf_counter_ns()
        for _ in range(n):
            hist.labels(*VALUES).observe(value)
            count.labels(*VALUES).inc()
        return perf_counter_ns() - t0

    def timed_event(n):
        clock = perf_counter_ns
        t0 = clock()
        for _ in range(n):
            a = clock()
            noop()
            b = clock()
            hist.labels(*VALUES).observe((b - a) * 1e-9)
            count.labels(*VALUES).inc()
        return clock() - t0

    variants = [("empty_loop", empty_loop), ("timed_noop", timed_noop),
                ("observe_cached", observe_cached), ("observe_inc_cached", observe_inc_cached),
                ("observe_inc_labels", observe_inc_labels), ("timed_event", timed_event)]
    for _, fn in variants:  # warm-up: the mmap'ed files exist, the code paths are hot
        fn(max(1, events // 20))
    version = getattr(prometheus_client, "__version__", None) or package_version()
    for rep in range(reps):
        for name, fn in variants:  # interleaved, like per_call_bench
            c0 = thread_time_ns()
            ns = fn(events)
            cpu = thread_time_ns() - c0
            print(json.dumps({"variant": name, "rep": rep, "ns_per_event": round(ns / events, 3),
                              "cpu_ns_per_event": round(cpu / events, 3),
                              "prometheus_client": version}), flush=True)


def package_version():
    try:
        from importlib.metadata import version
        return version("prometheus_client")
    except Exception:  # noqa: BLE001 (a version string is only informative)
        return "unknown"


if __name__ == "__main__":
    main()
