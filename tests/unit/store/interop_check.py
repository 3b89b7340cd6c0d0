"""Second half of the interop test (see interop_writer.cc, which exec()s this script with the
same pid): read an npuprobe-written folder with the real prometheus_client MultiProcessCollector.

usage: interop_check.py DIR v1|v2 GOLDEN_EXPOSITION GOLDEN_REPLAY_DIR
DIR is the mixed folder (npuprobe's files beside Python's, same pid); GOLDEN_REPLAY_DIR holds only
npuprobe's replay of the golden ops.json, which the client must read exactly as it read the files it
wrote itself (GOLDEN_EXPOSITION, the line multiset, order aside).
Which prometheus_client reads it comes from the environment (tests/unit/store/CMakeLists.txt):
  NPUPROBE_INTEROP_CLIENT_DIR      a vendored source tree (../shared/vendor/client_python/X.Y.Z),
                                   also on PYTHONPATH; unset: the interpreter's own (Debian's 0.16)
  NPUPROBE_INTEROP_CLIENT_VERSION  the version that must be the one imported (X.Y or X.Y.Z)
Exit 0 = pass, 1 = fail, 77 = skipped: only where the client is absent and CI is not "true" (a
user's clone has no ../shared); with CI=true a missing client is a failure, never a skip.
"""
import os
import shutil
import sys

SKIP = 77
FAIL = 1
KEPT = -1  # failed after reading: the folder stays for a look


def unavailable(message):
    """A client that is not there: skipped on a user's machine, a failure on CI."""
    if os.environ.get("CI") == "true":
        print(f"FAIL: {message} (CI=true: the interop test must run on CI, not skip)")
        return FAIL
    print(f"SKIP: {message} (set CI=true to make this a failure)")
    return SKIP


def main():
    directory, fmt, golden_path, replay_dir = sys.argv[1:5]
    client_dir = os.environ.get("NPUPROBE_INTEROP_CLIENT_DIR", "")
    wanted = os.environ.get("NPUPROBE_INTEROP_CLIENT_VERSION", "")
    if not wanted:
        print("FAIL: NPUPROBE_INTEROP_CLIENT_VERSION is not set (see CMakeLists.txt)")
        return FAIL
    if client_dir and not os.path.isdir(os.path.join(client_dir, "prometheus_client")):
        return unavailable(f"no vendored prometheus_client {wanted} at {client_dir}")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # before the import: picks the mmap values
    try:
        import prometheus_client
        from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
        from prometheus_client import mmap_dict
        from prometheus_client.multiprocess import MultiProcessCollector
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as error:
        return unavailable(f"no prometheus_client for {sys.executable} ({error})")
    imported_from = os.path.dirname(os.path.dirname(os.path.realpath(prometheus_client.__file__)))
    if client_dir:
        # A source tree has no package metadata: the tree is the version, so it must be the
        # tree that was imported (PYTHONPATH), not the interpreter's own copy.
        if imported_from != os.path.realpath(client_dir):
            print(f"FAIL: prometheus_client imported from {imported_from}, not {client_dir} "
                  f"(PYTHONPATH={os.environ.get('PYTHONPATH')!r})")
            return FAIL
        version = os.path.basename(os.path.realpath(client_dir))
    else:
        version = getattr(prometheus_client, "__version__", None) or _installed_version()
    if version.split(".")[:len(wanted.split("."))] != wanted.split("."):
        if not client_dir:  # the interpreter's own is another release (e.g. a pip install)
            return unavailable(f"{sys.executable} has prometheus_client {version} from "
                               f"{imported_from}, not Debian's {wanted}")
        print(f"FAIL: prometheus_client {version} from {imported_from}, expected {wanted}")
        return FAIL
    # What the imported client itself reads, from its code, not from the version number.
    reads_v2 = hasattr(mmap_dict, "_pack_two_doubles")
    if reads_v2 != (fmt == "v2"):
        print(f"FAIL: prometheus_client {version} reads {'v2' if reads_v2 else 'v1'}, not {fmt}: "
              f"the test is set up with the wrong client")
        return FAIL

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

    # 1. The golden replay reads exactly as the files Python itself wrote: alone, the same lines
    # (no more, no fewer), and in the mixed folder, every golden line is there.
    golden_lines = open(golden_path, encoding="utf-8").read().splitlines()
    replay = CollectorRegistry()
    MultiProcessCollector(replay, path=replay_dir)
    replay_lines = generate_latest(replay).decode("utf-8").splitlines()
    if sorted(replay_lines) != sorted(golden_lines):
        problems.append("the golden replay alone does not read as the golden exposition:\n" +
                        "\n".join([f"  only in ours:   {l!r}" for l in replay_lines
                                    if l not in golden_lines] +
                                   [f"  only in golden: {l!r}" for l in golden_lines
                                    if l not in replay_lines]) +
                        f"\n  ({len(replay_lines)} lines, golden {len(golden_lines)})")
    for line in golden_lines:
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
        return KEPT
    print(f"PASS: prometheus_client {version} ({imported_from}) reads npuprobe's {fmt} files "
          f"exactly ({len(expected)} samples + {len(golden_lines)} golden lines, alone and mixed)")
    return 0


def _installed_version():
    from importlib.metadata import version
    return version("prometheus_client")


if __name__ == "__main__":
    status = main()
    if status == KEPT:
        sys.exit(FAIL)
    shutil.rmtree(sys.argv[1], ignore_errors=True)
    sys.exit(status)
