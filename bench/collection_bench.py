#!/usr/bin/python3
"""Collection benchmark: `npuprobe dump` and a long-running `npuprobe serve` against
prometheus_client's MultiProcessCollector, on the same store folders of 16, 64 and 256 processes.

The folders, each for every client compared (Debian's 0.16, which reads format v1, and the newest
release in the folder of prometheus_client source trees, --client-vendor, which reads v2):
- written by npuprobe: four real npu-sim processes under `npuprobe run` (bindings, launch APIs,
  graph mode differ), in the client's format;
- written by Python: one process writing vLLM's own metric families with that client
  (bench/vllm_metric_shapes.py).
A folder of P processes holds P copies of those files under made-up pids, the `dp` label
(npuprobe) or the `engine` label (vLLM) rewritten to the copy's index (entries decoded and
re-encoded: int32 key length, JSON key, padding to 8, float64 value, and float64 timestamp in v2),
so that every process contributes its own series, as the ranks of a deployment do.

Timing: `npuprobe dump --dir D` as a whole process (exec, read, merge, print into a pipe);
`npuprobe serve` scraped over HTTP (connect to last byte) while every value of every file changes
between scrapes (the steady state of a /metrics endpoint: same series, new values; the first
scrape, which reads the keys, is not counted); Python inside one long-lived /usr/bin/python3
(CollectorRegistry + MultiProcessCollector + generate_latest, the interpreter's start and the
import excluded), as an exporter would run it. Medians of the repetitions after one warm-up each
(--quick: 16 and 64 processes, one repetition, no warm-up).

Beside them, the physical limits of this machine (bench/collection_floor.cc): the read floor
(the bytes that hold entries, read once from the page cache: what any reader must read), the
format floor (the same exposition made again with nothing decoded or merged: each line's name and
labels copied, its value formatted by std::to_chars) and the process start (a C++ program that
returns at once, exec included). A dump pays all three, a steady scrape the first two; the table
says how many times its floor each takes.

Writes collection.json (bench/results/FORMAT.md). Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import socket
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


def clean_env():
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "NPUPROBE_CONFIG", "NPUPROBE_DISABLE", "SERVICE_PROF_CONFIG_PATH",
              "PROMETHEUS_MULTIPROC_DIR", "PYTHONPATH"):
        env.pop(k, None)
    return env


def read_db_files(store, scratch_name):
    files = {}
    for name in os.listdir(store):
        if name.endswith(".db"):
            typ = name.rsplit("_", 1)[0]  # counter, histogram, gauge_<mode>
            with open(os.path.join(store, name), "rb") as f:
                files[typ] = f.read()
    if not files:
        sys.exit("collection_bench: no .db file in %s" % scratch_name)
    return files


def npuprobe_sources(args, scratch, fmt):
    """One {type: bytes} per real npu-sim process run under npuprobe, in format `fmt`."""
    folders = []
    for i, sim_args in enumerate(SOURCES):
        store = os.path.join(scratch, "src-%s-%d" % (fmt, i))
        os.mkdir(store)
        env = clean_env()
        env.update({"NPUPROBE_STORE_FORMAT": fmt, "NPUPROBE_LISTEN": "off",
                    "VLLM_DP_RANK": str(i)})
        cmd = [os.path.join(args.build, "bin/npuprobe"), "run", "--dir", store, "--",
               os.path.join(args.build, "mock/bin/npu-sim"), "--steps", "20", "--launches", "40",
               "--device-us", "5"] + sim_args
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0:
            sys.exit("collection_bench: %s failed: %s" % (" ".join(cmd), proc.stderr[-2000:]))
        folders.append(read_db_files(store, store))
    return folders


def python_sources(scratch, client):
    """The files of one process writing vLLM's own metric shapes with `client` (None: Debian's
    prometheus_client): bench/vllm_metric_shapes.py."""
    store = os.path.join(scratch, "src-python-%s" % (client.name if client else "system"))
    os.mkdir(store)
    env = clean_env()
    env["PROMETHEUS_MULTIPROC_DIR"] = store
    if client:
        env["PYTHONPATH"] = client.path
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vllm_metric_shapes.py")
    proc = subprocess.run(["/usr/bin/python3", script, "0"], env=env, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.exit("collection_bench: vllm_metric_shapes.py failed: %s" % proc.stderr[-2000:])
    return [read_db_files(store, store)]


def entries(data, fmt):
    """(key, value offset) of every entry of a .db file in format v1 or v2."""
    used = struct.unpack_from("<I", data, 0)[0]
    pos, out = 8, []
    while pos < used:
        klen = struct.unpack_from("<I", data, pos)[0]
        key = bytes(data[pos + 4:pos + 4 + klen])
        pos += 4 + klen
        pos += 8 - (4 + klen) % 8
        out.append((key, pos))
        pos += 8 if fmt == "v1" else 16
    return out


def relabel(data, fmt, label, value):
    """Re-encodes a .db file with every `"<label>": "<x>"` label set to `value`."""
    out = bytearray(8)
    width = 8 if fmt == "v1" else 16
    needle = b'"%s": "' % label.encode()
    for key, at in entries(data, fmt):
        labels_start = key.find(b', {')
        if labels_start >= 0:
            head, tail = key[:labels_start], key[labels_start:]
            i = tail.find(needle)
            if i >= 0:
                j = tail.index(b'"', i + len(needle))
                tail = tail[:i + len(needle)] + value.encode() + tail[j:]
            key = head + tail
        out += struct.pack("<I", len(key)) + key + b" " * (8 - (4 + len(key)) % 8)
        out += data[at:at + width]
    struct.pack_into("<I", out, 0, len(out))
    capacity = 1 << 16
    while capacity < len(out):
        capacity *= 2
    out += b"\0" * (capacity - len(out))
    return bytes(out)


def make_folder(sources, processes, scratch, fmt, label):
    """P processes' files under made-up pids, `label` rewritten to the copy's index."""
    folder = os.path.join(scratch, "store%d" % processes)
    os.mkdir(folder)
    for i in range(processes):
        pid = 1000000 + i
        for typ, data in sources[i % len(sources)].items():
            with open(os.path.join(folder, "%s_%d.db" % (typ, pid)), "wb") as f:
                f.write(relabel(data, fmt, label, str(i)))
    return folder


def floor_tool(args, *argv):
    """collection_floor's JSON answer (bench/collection_floor.cc)."""
    proc = subprocess.run([os.path.join(args.build, "bin/collection_floor")] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("collection_bench: collection_floor %s failed: %s" % (argv[0], proc.stderr))
    return json.loads(proc.stdout)


def floors(args, folder, exposition, reps):
    """(read floor ms, format floor ms, process start ms) of this folder on this machine."""
    read_ms = floor_tool(args, "read", folder, str(max(reps, 5)))["read_ms"]
    format_ms = floor_tool(args, "format", exposition, str(max(reps, 5)))["format_ms"]
    starts = []
    for _ in range(max(reps, 5) + 1):
        t0 = time.perf_counter()
        subprocess.run([os.path.join(args.build, "bin/collection_floor"), "start"], check=True)
        starts.append((time.perf_counter() - t0) * 1e3)
    return read_ms, format_ms, median(starts[1:])


def time_npuprobe(args, folder, fmt, reps, warmup, exposition):
    """Times `npuprobe dump`; its last output is left in `exposition`."""
    binary = os.path.join(args.build, "bin/npuprobe")
    times, samples = [], 0
    for i in range(reps + warmup):
        t0 = time.perf_counter()
        proc = subprocess.run([binary, "dump", "--dir", folder],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t1 = time.perf_counter()
        if proc.returncode != 0:
            sys.exit("collection_bench: npuprobe dump failed: %s" % proc.stderr[-2000:])
        if i >= warmup:
            times.append(t1 - t0)
        samples = sum(1 for l in proc.stdout.splitlines() if l and not l.startswith(b"#"))
    with open(exposition, "wb") as f:
        f.write(proc.stdout)
    return times, samples


def time_python(folder, client, reps, warmup):
    env = clean_env()
    if client:
        env["PYTHONPATH"] = client.path
    proc = subprocess.run(["/usr/bin/python3", "-c", PY_TIMER, folder, str(reps), str(warmup)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        sys.exit("collection_bench: prometheus_client failed: %s" % proc.stderr[-2000:])
    data = json.loads(proc.stdout)
    return data["times"], data["samples"]


def http_get(port):
    """GET /metrics, read to the end; the body."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        chunks = []
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    return response[response.index(b"\r\n\r\n") + 4:]


def time_serve_steady(args, folder, fmt, reps, warmup):
    """A long-running `npuprobe serve` scraped again and again while every value of every file
    changes between scrapes (same series, new values): the steady state of a /metrics endpoint.
    Each scrape is timed from connect to the last byte, the value rewrite is not."""
    layout = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        layout[path] = (data, [at for _, at in entries(data, fmt)])
    binary = os.path.join(args.build, "bin/npuprobe")
    server = subprocess.Popen([binary, "serve", "--dir", folder, "--listen", "127.0.0.1:0",
                               "--format", fmt], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=clean_env())
    try:
        line = server.stdout.readline()
        match = re.search(r"\(port (\d+)\)", line)
        if not match:
            sys.exit("collection_bench: npuprobe serve said: %r" % line)
        port = int(match.group(1))
        times, samples = [], 0
        for i in range(reps + warmup + 1):  # the first scrape reads the keys: not steady
            step = float(i + 1)
            for path, (data, offsets) in layout.items():
                for at in offsets:
                    struct.pack_into("<d", data, at, struct.unpack_from("<d", data, at)[0] + step)
                    if fmt == "v2":
                        struct.pack_into("<d", data, at + 8, time.time())
                fd = os.open(path, os.O_WRONLY)
                os.pwrite(fd, data, 0)
                os.close(fd)
            t0 = time.perf_counter()
            body = http_get(port)
            t1 = time.perf_counter()
            if i > warmup:
                times.append(t1 - t0)
            samples = sum(1 for l in body.splitlines() if l and not l.startswith(b"#"))
        return times, samples
    finally:
        server.terminate()
        server.wait()


class Client:
    def __init__(self, name, path):
        self.name, self.path = name, path


def clients(args):
    """(client, store format) pairs: Debian's 0.16 (format v1) and, when the folder of
    prometheus_client source trees is there, its newest release (format v2)."""
    out = [(None, "v1")]
    vendor = args.client_vendor
    if vendor and os.path.isdir(vendor):
        releases = sorted((d for d in os.listdir(vendor) if re.fullmatch(r"\d+\.\d+\.\d+", d)),
                          key=lambda d: tuple(int(x) for x in d.split(".")))
        if releases:
            out.append((Client(releases[-1], os.path.join(vendor, releases[-1])), "v2"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--client-vendor", default=os.environ.get(
        "NPUPROBE_CLIENT_PYTHON_VENDOR",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "vendor",
                     "client_python")),
                    help="a folder of prometheus_client source trees (X.Y.Z/); the newest is "
                         "compared too (default: NPUPROBE_CLIENT_PYTHON_VENDOR, else the one "
                         "beside the clone, if any)")
    ap.add_argument("--quick", action="store_true",
                    help="16 and 64 processes, 1 repetition, no warm-up")
    args = ap.parse_args()
    reps = 1 if args.quick else args.reps
    warmup = 0 if args.quick else 1
    sizes = SIZES[:2] if args.quick else SIZES
    os.makedirs(args.out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="npuprobe-collection-")
    rows, floor_rows, worst_dump, worst_serve = [], [], None, None
    try:
        for client, fmt in clients(args):
            client_name = client.name if client else "0.16 (Debian)"
            kinds = [("npuprobe", npuprobe_sources(args, scratch, fmt), "dp"),
                     ("Python (vLLM shapes)", python_sources(scratch, client), "engine")]
            for writer, sources, label in kinds:
                for processes in sizes:
                    folder = make_folder(sources, processes, scratch, fmt, label)
                    names = os.listdir(folder)
                    mib = sum(os.path.getsize(os.path.join(folder, n)) for n in names) / 2**20
                    exposition = os.path.join(scratch, "exposition.txt")
                    t_np, s_np = time_npuprobe(args, folder, fmt, reps, warmup, exposition)
                    read_ms, format_ms, start_ms = floors(args, folder, exposition, reps)
                    t_sv, s_sv = time_serve_steady(args, folder, fmt, reps, max(warmup, 1))
                    t_py, s_py = time_python(folder, client, reps, warmup)
                    dump_ratio = median(t_py) / median(t_np)
                    serve_ratio = median(t_py) / median(t_sv)
                    if worst_dump is None or dump_ratio < worst_dump[0]:
                        worst_dump = (dump_ratio, writer, client_name, processes)
                    if worst_serve is None or serve_ratio < worst_serve[0]:
                        worst_serve = (serve_ratio, writer, client_name, processes)
                    rows.append([writer, client_name, processes, len(names), round(mib, 1),
                                 s_np, s_py, round(read_ms, 2),
                                 round(median(t_np) * 1e3, 2), spread([t * 1e3 for t in t_np]),
                                 round(median(t_sv) * 1e3, 2), spread([t * 1e3 for t in t_sv]),
                                 round(median(t_py) * 1e3, 2), spread([t * 1e3 for t in t_py]),
                                 round(dump_ratio, 1), round(serve_ratio, 1)])
                    dump_ms, serve_ms = median(t_np) * 1e3, median(t_sv) * 1e3
                    dump_floor = start_ms + read_ms + format_ms
                    serve_floor = read_ms + format_ms
                    floor_rows.append([writer, client_name, processes, round(start_ms, 2),
                                       round(read_ms, 3), round(format_ms, 3),
                                       round(dump_floor, 2), round(dump_ms, 2),
                                       round(dump_ms / dump_floor, 1), round(serve_floor, 3),
                                       round(serve_ms, 2), round(serve_ms / serve_floor, 1)])
                    if not (s_np == s_py == s_sv):
                        print("collection_bench: warning: %s, %s, %d processes: npuprobe dump "
                              "printed %d samples, serve %d, prometheus_client %d" % (
                                  writer, client_name, processes, s_np, s_sv, s_py),
                              file=sys.stderr)
                    shutil.rmtree(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reading = ("On the same folders, npuprobe dump (a whole process, exec included) is at least "
               "%.1fx faster than prometheus_client's MultiProcessCollector + generate_latest in "
               "a warm interpreter (the least: %s files, client %s, %d processes; target 10x), "
               "and a long-running npuprobe serve answers a steady-state scrape (same series, "
               "new values, HTTP included) at least %.1fx faster (the least: %s files, client "
               "%s, %d processes; target 50x). The read floor is reading the bytes that hold "
               "entries once from the page cache (collection_floors.json puts every figure "
               "beside its floors)." % (worst_dump + worst_serve))
    if any(not (r[5] == r[6]) for r in rows):
        reading += " The sample counts differ (see the table): check the readers."
    if args.quick:
        reading = "Quick smoke run (16 and 64 processes, 1 repetition): not a measurement. " + reading
    result = {
        "title": "Collection: npuprobe dump and serve against prometheus_client's "
                 "MultiProcessCollector",
        "command": "bench/collection_bench.py --build %s --out %s%s" % (
            args.build, args.out, " --quick" if args.quick else " --reps %d" % reps),
        "machine": machine(),
        "quick": args.quick,
        "columns": ["files written by", "prometheus_client", "processes", "files", "MiB",
                    "samples (npuprobe)", "samples (Python)", "read floor ms",
                    "npuprobe dump ms (median)", "spread (ms)",
                    "serve steady scrape ms (median)", "spread (ms)",
                    "Python collect ms (median)", "spread (ms)", "Python / dump",
                    "Python / serve steady"],
        "rows": rows,
        "reading": reading,
    }
    write_result(args.out, "collection.json", result, "collection_bench")
    write_result(args.out, "collection_floors.json", floors_result(args, reps, floor_rows),
                 "collection_bench")


def floors_result(args, reps, rows):
    """collection_floors.json: each dump and steady scrape beside the least this machine can
    take for it, and how far from that it is."""
    dump_x = [r[8] for r in rows]
    serve_x = [r[11] for r in rows]
    starts = [r[3] for r in rows]
    reading = ("The floors are this machine's physical limits for the same folder "
               "(bench/collection_floor.cc): a process start (a C++ program that returns at "
               "once, exec included), the read floor (the bytes that hold entries, read once "
               "from the page cache, one open and one or two preads per file) and the format "
               "floor (the same exposition made again with nothing decoded or merged: names "
               "and labels copied, values formatted by std::to_chars). A dump pays all three, "
               "a steady scrape (HTTP excluded from its floor) the last two. ")
    if rows:
        reading += ("npuprobe dump takes %.1fx..%.1fx its floor, serve's steady scrape "
                    "%.1fx..%.1fx. Where the rest goes: a dump decodes every JSON key (the "
                    "label sets as prometheus_client wrote them) and merges the processes' "
                    "samples by series, which a floor that only copies text never does, and a "
                    "process start alone is %.2f..%.2f ms here; a steady scrape checks each file "
                    "(fstat, its `used`), loads the values from the files it keeps mapped, "
                    "and pays an HTTP exchange (connect, request, response) that its floor "
                    "leaves out. " % (
                        min(dump_x), max(dump_x), min(serve_x), max(serve_x), min(starts),
                        max(starts)))
    if args.quick:
        reading = "Quick smoke run (16 and 64 processes, 1 repetition): not a measurement. " + reading
    return {
        "title": "Collection beside the physical limits of this machine",
        "command": "bench/collection_bench.py --build %s --out %s%s" % (
            args.build, args.out, " --quick" if args.quick else " --reps %d" % reps),
        "machine": machine(),
        "quick": args.quick,
        "columns": ["files written by", "prometheus_client", "processes", "process start ms",
                    "read floor ms", "format floor ms", "dump floor ms (start + read + format)",
                    "npuprobe dump ms (median)", "dump / its floor",
                    "steady scrape floor ms (read + format)", "serve steady scrape ms (median)",
                    "serve / its floor"],
        "rows": rows,
        "reading": reading,
    }


if __name__ == "__main__":
    main()
