#!/usr/bin/python3
"""Publication benchmark: what npuprobe's publishing side costs.

Three tables:
- publication_flush.json: time of one publisher flush against the number of histogram label
  sets (10/100/1000, 15 entries each) and of threads that recorded into them (1/2/8, one shard
  each), from store_record_bench's BM_PublisherFlush (Google Benchmark, JSON output).
- publication_bytes.json: bytes one npu-sim process leaves in the store folder (the .db files:
  apparent size, bytes in use per the header's `used`, and disk blocks), for a few settings.
- publication_rss.json: resident memory npuprobe adds to npu-sim: VmRSS read from
  /proc/<pid>/status at the last poll before exit (every 10 ms) and the peak (VmHWM, same
  poll; getrusage's ru_maxrss would carry the forked Python's peak across exec), with and
  without the preload, alternating runs.

Standard library only (/usr/bin/python3).
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


def write(out, name, result):
    write_result(out, name, result, "publication_bench")


def clean_env():
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "PROMETHEUS_MULTIPROC_DIR", "NPUPROBE_DISABLE", "NPUPROBE_CONFIG",
              "NPUPROBE_STORE_FORMAT", "NPUPROBE_OP_LABEL", "NPUPROBE_FLUSH_MS",
              "SERVICE_PROF_CONFIG_PATH"):
        env.pop(k, None)
    env["NPUPROBE_LISTEN"] = "off"
    return env


# ---------------------------------------------------------------------------------------------
# Flush time
def flush_table(args, cmdline):
    binary = os.path.join(args.build, "bin/store_record_bench")
    if not os.path.exists(binary):
        print("publication_bench: %s not built (google-benchmark or prometheus-cpp missing); "
              "no flush table" % binary)
        return None
    reps = 1 if args.quick else 5
    cmd = [binary, "--benchmark_filter=BM_PublisherFlush", "--benchmark_format=json",
           "--benchmark_repetitions=%d" % reps]
    if args.quick:
        cmd.append("--benchmark_min_time=0.01")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("publication_bench: %s failed: %s" % (" ".join(cmd), proc.stderr[-2000:]))
    data = json.loads(proc.stdout)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        runs.setdefault(b["run_name"], []).append(b)
    rows = []
    by_key = {}
    for name, bs in runs.items():
        # run_name: BM_PublisherFlush/series:N/threads:T
        # (an older binary without the thread dimension names it BM_PublisherFlush/N)
        parts = name.split("/")[1:]
        fields = dict(p.split(":", 1) for p in parts if ":" in p)
        series = int(fields.get("series", parts[0] if parts else 0))
        threads = int(fields.get("threads", 1))
        unit = bs[0].get("time_unit", "us")
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[unit]
        real = [b["real_time"] * scale for b in bs]
        cpu = [b["cpu_time"] * scale for b in bs]
        med = median(real)
        by_key[(series, threads)] = med
        rows.append([series, series * 15, threads, round(med, 2), spread(real),
                     round(median(cpu), 2), round(med * 1000 / (series * 15), 2)])
    rows.sort(key=lambda r: (r[0], r[2]))
    reading = ""
    if (1000, 1) in by_key and (1000, 8) in by_key and (10, 1) in by_key:
        reading = ("One flush stores every value of the registry; at the default 500 ms "
                   "interval, 1000 label sets (15000 entries) recorded by 8 threads cost "
                   "%.0f us per flush, %.3f %% of one core; from 1 to 8 shards the 1000-set "
                   "flush goes from %.0f to %.0f us (the merge reads every shard's cells). "
                   "Serving threads never wait for it: the flush runs on npuprobe's publisher "
                   "thread." % (by_key[(1000, 8)], by_key[(1000, 8)] / 5000.0,
                                by_key[(1000, 1)], by_key[(1000, 8)]))
    if args.quick:
        reading = "Quick smoke run (1 short repetition): not a measurement. " + reading
    return {
        "title": "Publication: time per flush against label sets and recording threads",
        "command": cmdline + " (runs: " + " ".join(cmd[:1] + ["..."] + cmd[1:]) + ")",
        "machine": machine(),
        "quick": args.quick,
        "columns": ["label sets", "entries", "threads that recorded", "us per flush (median)",
                    "spread (us)", "CPU us (median)", "ns per entry"],
        "rows": rows,
        "reading": reading,
    }


# ---------------------------------------------------------------------------------------------
# Bytes per process
BYTES_VARIANTS = [
    # label, extra env, config yaml text (or None), devices
    ("2 devices, defaults (format v2, task time off)", {}, None, "0,1"),
    ("2 devices, format v1 (prometheus_client <= 0.16)", {"NPUPROBE_STORE_FORMAT": "v1"}, None,
     "0,1"),
    ("2 devices, op_label on (one series per aclnn op)", {"NPUPROBE_OP_LABEL": "1"}, None,
     "0,1"),
    ("2 devices, task time mode 2 (MSPTI, kernel_filter; libmspti.so preloaded)",
     {"LD_PRELOAD": "mock/lib/libmspti.so"},
     "task_time:\n  mode: 2\n  kernel_filter: \"FlashAttention;RmsNorm;MatMul\"\n", "0,1"),
    ("8 devices, defaults", {}, None, "0,1,2,3,4,5,6,7"),
]


def bytes_table(args, cmdline, scratch):
    rows = []
    first = None
    for label, extra, yaml_text, devices in BYTES_VARIANTS:
        store = tempfile.mkdtemp(prefix="store-", dir=scratch)
        env = clean_env()
        env.update(extra)
        if "LD_PRELOAD" in env:  # npuprobe run puts libnpuprobe.so first, then this
            env["LD_PRELOAD"] = os.path.abspath(os.path.join(args.build, env["LD_PRELOAD"]))
        env["HOME"] = scratch  # task-time data, if any, stays in the scratch folder
        if yaml_text:
            cfg = os.path.join(scratch, "npuprobe.yaml")
            with open(cfg, "w") as f:
                f.write(yaml_text)
            env["NPUPROBE_CONFIG"] = cfg
        sim = [os.path.join(args.build, "mock/bin/npu-sim"), "--steps", "20", "--launches", "50",
               "--device-us", "5", "--devices", devices, "--task-queue", "--binding", "opapi",
               "--launch-api", "mixed", "--alloc-bytes", "1048576"]
        cmd = [os.path.join(args.build, "bin/npuprobe"), "run", "--dir", store, "--"] + sim
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0:
            sys.exit("publication_bench: %s failed: %s" % (" ".join(cmd), proc.stderr[-2000:]))
        files = sorted(n for n in os.listdir(store) if n.endswith(".db"))
        apparent = used = disk = 0
        for n in files:
            p = os.path.join(store, n)
            st = os.stat(p)
            apparent += st.st_size
            disk += st.st_blocks * 512
            with open(p, "rb") as f:
                used += struct.unpack("<I", f.read(4))[0]
        dump = subprocess.run([os.path.join(args.build, "bin/npuprobe"), "dump", "--dir", store],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        samples = sum(1 for line in dump.stdout.splitlines() if line and not line.startswith("#"))
        rows.append([label, len(files), ", ".join(f.split("_")[0] if not f.startswith("gauge")
                                                  else "_".join(f.split("_")[:2])
                                                  for f in files),
                     samples, used, apparent, disk])
        if first is None:
            first = rows[-1]
        shutil.rmtree(store)
    reading = ("One npu-sim process with 2 devices and default options leaves %d files of "
               "%d KiB (prometheus_client's files start at 64 KiB and double when full), %d KiB "
               "of which hold entries (%d samples in the exposition). The store grows with the "
               "label sets (devices, ops with op_label), not with the traffic: the same series "
               "are overwritten at every flush." % (
                   first[1], first[5] // 1024, first[4] // 1024, first[3]))
    if args.quick:
        reading = "Quick smoke run (same workload as the full run). " + reading
    return {
        "title": "Publication: bytes one process leaves in the store folder (npu-sim)",
        "command": cmdline + " (npu-sim --steps 20 --launches 50 --devices LIST --task-queue "
                   "--binding opapi --launch-api mixed --alloc-bytes 1048576 under npuprobe run)",
        "machine": machine(),
        "quick": args.quick,
        "columns": ["settings", "files", "file types", "samples (dump)", "bytes in use",
                    "file bytes (apparent)", "disk bytes (blocks)"],
        "rows": rows,
        "reading": reading,
    }


# ---------------------------------------------------------------------------------------------
# Resident memory
def read_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return out


def rss_run(args, with_probe, scratch, steps):
    env = clean_env()
    store = None
    if with_probe:
        store = tempfile.mkdtemp(prefix="store-", dir=scratch)
        env["LD_PRELOAD"] = os.path.abspath(os.path.join(args.build, "lib/libnpuprobe.so"))
        env["PROMETHEUS_MULTIPROC_DIR"] = store
    cmd = [os.path.join(args.build, "mock/bin/npu-sim"), "--steps", str(steps), "--launches",
           "300", "--launch-host-us", "10", "--device-us", "10", "--devices", "0,1",
           "--task-queue", "--binding", "opapi", "--alloc-bytes", "1048576"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = {}
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        st = read_status(proc.pid)
        if "VmRSS" in st:
            last = st
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit("publication_bench: %s exited with %d" % (" ".join(cmd), proc.returncode))
    if store:
        shutil.rmtree(store)
    # VmHWM, not ru_maxrss: ru_maxrss keeps the peak of the forked Python before exec.
    return last.get("VmRSS", 0), last.get("VmHWM", 0)  # KiB both


def rss_table(args, cmdline, scratch):
    pairs = 1 if args.quick else 5
    steps = 10 if args.quick else 60
    base_rss, base_hwm, with_rss, with_hwm, d_rss, d_hwm = [], [], [], [], [], []
    for _ in range(pairs):
        r0, h0 = rss_run(args, False, scratch, steps)
        r1, h1 = rss_run(args, True, scratch, steps)
        base_rss.append(r0)
        base_hwm.append(h0)
        with_rss.append(r1)
        with_hwm.append(h1)
        d_rss.append(r1 - r0)
        d_hwm.append(h1 - h0)
    fmt = "{:.0f}"
    rows = [
        ["VmRSS at the last poll before exit", median(base_rss), median(with_rss),
         median(d_rss), spread(d_rss, fmt)],
        ["peak (VmHWM at the last poll before exit)", median(base_hwm), median(with_hwm),
         median(d_hwm), spread(d_hwm, fmt)],
    ]
    reading = ("npuprobe adds about %.1f MiB resident (peak %.1f MiB) to a 2-device npu-sim "
               "process: its code and data, the per-thread shards (calloc'ed, touched only where "
               "series are recorded), the mmap'ed .db files and the publisher thread's stack. "
               "A real torch_npu process is several GiB, so this is noise there." % (
                   median(d_rss) / 1024.0, median(d_hwm) / 1024.0))
    if args.quick:
        reading = "Quick smoke run (1 pair): not a measurement. " + reading
    return {
        "title": "Publication: resident memory added by npuprobe (npu-sim, 2 devices)",
        "command": cmdline + " (npu-sim --steps %d --launches 300 --launch-host-us 10 "
                   "--device-us 10 --devices 0,1 --task-queue --binding opapi --alloc-bytes "
                   "1048576, alone and with LD_PRELOAD=libnpuprobe.so, %d alternating pairs)" % (
                       steps, pairs),
        "machine": machine(),
        "quick": args.quick,
        "columns": ["measure", "without (KiB, median)", "with (KiB, median)",
                    "added (KiB, median of pairs)", "spread of added (KiB)"],
        "rows": rows,
        "reading": reading,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cmdline = "bench/publication_bench.py --build %s --out %s%s" % (
        args.build, args.out, " --quick" if args.quick else "")
    scratch = tempfile.mkdtemp(prefix="npuprobe-publication-")
    try:
        flush = flush_table(args, cmdline)
        if flush:
            write(args.out, "publication_flush.json", flush)
        write(args.out, "publication_bytes.json", bytes_table(args, cmdline, scratch))
        write(args.out, "publication_rss.json", rss_table(args, cmdline, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
