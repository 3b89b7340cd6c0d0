"""Second half of the interop test (see interop_writer.cc, which exec()s this script with the
same pid): read an npuprobe-written folder with the real prometheus_client MultiProcessCollector.

usage: interop_check.py DIR v1|v2 GOLDEN_EXPOSITION
Exit 0 = pass, 1 = fail, 77 = skipped (this prometheus_client reads the other format).
"""
import os
import shutil
import sys

SKIP = 77


def main():
    directory, fmt, golden_path = sys.argv[1:4]
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # before the import: picks the mmap values
    try:
        import prometheus_client
        from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as error:
        print(f"SKIP: no prometheus_client ({error})")
        return SKIP
    version = tuple(int(p) for p in prometheus_client.__version__.split(".")[:2]) \
        if hasattr(prometheus_client, "__version__") else _debian_version()
    reads_v2 = version >= (0, 18)
    if reads_v2 != (fmt == "v2"):
        print(f"SKIP: prometheus_client {version} reads {'v2' if reads_v2 else 'v1'}, not {fmt}")
        return SKIP

    pid = os.getpid()
    # The mixed folder: Python metrics written by this process, which has the writer's pid.
    Counter("py_requests", "Python requests.", ["route"]).labels("/x").inc(3)
    Gauge("py_temperature", "Python gauge.", multiprocess_mode="liveall").set(5)
    names = set(os.listdir(directory))
    problems = []
    for expected in (f"counter_{pid}.db", f"counter_{pid}-npu.db", f"histogram_{pid}-npu.db"):
        if expected not in names:
            problems.append(f"missing file {expected} in {sorted(names)}")

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    text = generate_latest(registry).decode("utf-8")
    lines = set(text.splitlines())

    # 1. The golden replay reads exactly as the files Python itself wrote.
    for line in open(golden_path, encoding="utf-8").read().splitlines():
        if line not in lines:
            problems.append(f"golden line missing: {line!r}")

    # 2. Exact values of the multi-threaded workload, computed here independently.
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    nasty = "q\"b\\s\nn \u00e9\u4e2d\U0001F600"
    values = [((t * 25000 + i) % 1000) / 1024.0 for t in range(4) for i in range(25000)]
    expected = {
        ("interop_ops_total", (("op", nasty),)): 6.0,
        ("interop_latency_seconds_count", (("dp", "0"),)): float(len(values)),
        ("interop_latency_seconds_sum", (("dp", "0"),)): sum(values),
        ("interop_peak_bytes", ()): 42.0,
        ("py_requests_total", (("route", "/x"),)): 3.0,
        ("py_temperature", (("pid", str(pid)),)): 5.0,
    }
    if fmt == "v1":  # gauges default to liveall in v1 (pid label), mostrecent in v2
        expected[("interop_memory_bytes", (("pid", f"{pid}-npu"),))] = 123456789.0
    else:
        expected[("interop_memory_bytes", ())] = 123456789.0
    for bound in (0.001, 0.01, 0.1, 1.0, 10.0, float("inf")):
        le = "+Inf" if bound == float("inf") else repr(bound)
        key = ("interop_latency_seconds_bucket", (("dp", "0"), ("le", le)))
        expected[key] = float(sum(1 for v in values if v <= bound))
    for key, value in expected.items():
        if key not in samples:
            problems.append(f"missing sample {key}")
        elif samples[key] != value:
            problems.append(f"{key}: got {samples[key]!r}, expected {value!r}")

    if problems:
        print(text)
        print("\n".join(["FAIL (folder kept: " + directory + ")"] + problems))
        return 1
    print(f"PASS: prometheus_client {'.'.join(map(str, version))} reads npuprobe's {fmt} files "
          f"exactly ({len(expected)} samples + {len(open(golden_path).read().splitlines())} golden lines)")
    shutil.rmtree(directory)
    return 0


def _debian_version():
    from importlib.metadata import version
    return tuple(int(p) for p in version("prometheus_client").split(".")[:2])


if __name__ == "__main__":
    sys.exit(main())
