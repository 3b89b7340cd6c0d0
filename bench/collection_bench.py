#!/usr/bin/python3
"""Collection benchmark: `npuprobe dump` against prometheus_client's MultiProcessCollector.

Both read the same store folder holding the .db files of 16, 64 and 256 processes and produce
the text exposition of the aggregate.

How the folder is made: running npu-sim under npuprobe 256 times is too slow, so a few real
processes (npu-sim under `npuprobe run`, NPUPROBE_STORE_FORMAT=v1 because prometheus_client
0.16 reads format v1 only; v1 has no `mostrecent` gauges, so each process leaves a counter_ and
a histogram_ file) write a source folder, and the folder of P processes holds P copies of them
under made-up pids: `<type>_<pid>-npu.db` becomes `<type>_<1000000+i>-npu.db` for copy i,
cycling over the sources. In each copy the `dp` label is rewritten to the copy's index (the v1
entries are decoded and re-encoded: int32 key length, JSON key, padding to 8, float64 value), so
that every process contributes its own series, as the ranks and devices of a deployment do; the
output therefore grows with P for both readers.

Timing: `npuprobe dump --dir D` is timed as a whole process (exec, read, merge, print into a
pipe); Python is timed inside one long-lived /usr/bin/python3 (CollectorRegistry +
MultiProcessCollector + generate_latest, the interpreter's start and the import excluded), as an
exporter would run it. Median of the repetitions after one warm-up each (--quick: 16 and 64
processes only, one repetition, no warm-up).

Writes collection.json (bench/results/FORMAT.md). Standard library only.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from bench_stats import machine, median, spread, write_result

SIZES = [16, 64, 256]

SOURCES = [
    # npu-sim arguments of the real processes whose files are copied
    ["--devices", "0", "--task-queue", "--binding", "opapi", "--launch-api", "aclnn"],
    ["--devices", "1", "--binding", "dlsym", "--launch-api", "mixed", "--alloc-bytes", "1048576"],
    ["--devices", "2", "--graph"],
    ["--devices", "3", "--task-queue", "--binding", "linked", "--launch-api", "aclop",
     "--sync", "event"],
]

PY_TIMER = r"""
import json, sys, time
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

path, reps, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times, lines = [], 0
for i in range(reps + warmup):
    t0 = time.perf_counter()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    out = generate_latest(registry)
    t1 = time.perf_counter()
    if i >= warmup:
        times.append(t1 - t0)
    lines = sum(1 for l in out.splitlines() if l and not l.startswith(b"#"))
print(json.dumps({"times": times, "samples": lines}))
"""


def make_sources(args, scratch):
    """One folder per real process, each with its counter_/histogram_ v1 files."""
    folders = []
    for i, sim_args in enumerate(SOURCES):
        store = os.path.join(scratch, "src%d" % i)
        os.mkdir(store)
        env = dict(os.environ)
        for k in ("LD_PRELOAD", "NPUPROBE_CONFIG", "NPUPROBE_DISABLE", "SERVICE_PROF_CONFIG_PATH"):
            env.pop(k, None)
        env.update({"NPUPROBE_STORE_FORMAT": "v1", "NPUPROBE_LISTEN": "off",
                    "VLLM_DP_RANK": str(i)})
        cmd = [os.path.join(args.build, "bin/npuprobe"), "run", "--dir", store, "--",
               os.path.join(args.build, "mock/bin/npu-sim"), "--steps", "20", "--launches", "40",
               "--device-us", "5"] + sim_args
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0:
            sys.exit("collection_bench: %s failed: %s" % (" ".join(cmd), proc.stderr[-2000:]))
        files = {}
        for name in os.listdir(store):
            if name.endswith(".db"):
                typ = name.rsplit("_", 1)[0]  # counter, histogram, gauge_<mode>
                with open(os.path.join(store, name), "rb") as f:
                    files[typ] = f.read()
        if not files:
            sys.exit("collection_bench: no .db file in %s" % store)
        folders.append(files)
    return folders


def relabel_v1(data, dp):
    """Re-encodes a v1 .db file with every `"dp": "<x>"` label set to `dp`."""
    used = struct.unpack_from("<I", data, 0)[0]
    pos = 8
    out = bytearray(8)
    while pos < used:
        klen = struct.unpack_from("<I", data, pos)[0]
        key = bytes(data[pos + 4:pos + 4 + klen])
        pos += 4 + klen
        pos += 8 - (4 + klen) % 8
        value = data[pos:pos + 8]
        pos += 8
        labels_start = key.find(b', {')
        if labels_start >= 0:
            head, tail = key[:labels_start], key[labels_start:]
            i = tail.find(b'"dp": "')
            if i >= 0:
                j = tail.index(b'"', i + 7)
                tail = tail[:i + 7] + dp.encode() + tail[j:]
            key = head + tail
        out += struct.pack("<I", len(key)) + key + b" " * (8 - (4 + len(key)) % 8) + value
    struct.pack_into("<I", out, 0, len(out))
    capacity = 1 << 16
    while capacity < len(out):
        capacity *= 2
    out += b"\0" * (capacity - len(out))
    return bytes(out)


def make_folder(sources, processes, scratch):
    folder = os.path.join(scratch, "store%d" % processes)
    os.mkdir(folder)
    for i in range(processes):
        pid = 1000000 + i
        for typ, data in sources[i % len(sources)].items():
            with open(os.path.join(folder, "%s_%d-npu.db" % (typ, pid)), "wb") as f:
                f.write(relabel_v1(data, str(i)))
    return folder


def time_npuprobe(args, folder, reps, warmup):
    binary = os.path.join(args.build, "bin/npuprobe")
    times, samples = [], 0
    for i in range(reps + warmup):
        t0 = time.perf_counter()
        proc = subprocess.run([binary, "dump", "--dir", folder, "--format", "v1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t1 = time.perf_counter()
        if proc.returncode != 0:
            sys.exit("collection_bench: npuprobe dump failed: %s" % proc.stderr[-2000:])
        if i >= warmup:
            times.append(t1 - t0)
        samples = sum(1 for l in proc.stdout.splitlines() if l and not l.startswith(b"#"))
    return times, samples


def time_python(folder, reps, warmup):
    proc = subprocess.run(["/usr/bin/python3", "-c", PY_TIMER, folder, str(reps), str(warmup)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("collection_bench: prometheus_client failed: %s" % proc.stderr[-2000:])
    data = json.loads(proc.stdout)
    return data["times"], data["samples"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--quick", action="store_true",
                    help="16 and 64 processes, 1 repetition, no warm-up")
    args = ap.parse_args()
    reps = 1 if args.quick else args.reps
    warmup = 0 if args.quick else 1
    sizes = SIZES[:2] if args.quick else SIZES
    os.makedirs(args.out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="npuprobe-collection-")
    rows = []
    ratios = {}
    try:
        sources = make_sources(args, scratch)
        for processes in sizes:
            folder = make_folder(sources, processes, scratch)
            nfiles = len(os.listdir(folder))
            mib = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder)) / 2**20
            t_np, s_np = time_npuprobe(args, folder, reps, warmup)
            t_py, s_py = time_python(folder, reps, warmup)
            ratio = median(t_py) / median(t_np)
            ratios[processes] = ratio
            rows.append([processes, nfiles, round(mib, 1), s_np, s_py,
                         round(median(t_np) * 1e3, 2), spread([t * 1e3 for t in t_np]),
                         round(median(t_py) * 1e3, 2), spread([t * 1e3 for t in t_py]),
                         round(ratio, 1)])
            if s_np != s_py:
                print("collection_bench: warning: %d processes: npuprobe printed %d samples, "
                      "prometheus_client %d" % (processes, s_np, s_py), file=sys.stderr)
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reading = ("On the same folder, npuprobe dump (a whole process, exec included) is %s "
               "faster than prometheus_client 0.16's MultiProcessCollector + generate_latest "
               "in a warm interpreter. A scrape of a %d-process folder costs the exporter "
               "%.0f ms with npuprobe instead of %.0f ms in Python." % (
                   ", ".join("%.1fx at %d" % (ratios[p], p) for p in sizes),
                   rows[-1][0], rows[-1][5], rows[-1][7]))
    if any(r[3] != r[4] for r in rows):
        reading += " The sample counts differ (see the table): check the readers."
    if args.quick:
        reading = "Quick smoke run (16 and 64 processes, 1 repetition): not a measurement. " + reading
    result = {
        "title": "Collection: npuprobe dump against prometheus_client's MultiProcessCollector",
        "command": "bench/collection_bench.py --build %s --out %s%s" % (
            args.build, args.out, " --quick" if args.quick else " --reps %d" % reps),
        "machine": machine(),
        "quick": args.quick,
        "columns": ["processes", "files", "MiB", "samples (npuprobe)", "samples (Python)",
                    "npuprobe dump ms (median)", "spread (ms)",
                    "Python collect ms (median)", "spread (ms)", "Python / npuprobe"],
        "rows": rows,
        "reading": reading,
    }
    write_result(args.out, "collection.json", result, "collection_bench")


if __name__ == "__main__":
    main()
