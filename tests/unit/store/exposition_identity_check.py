"""`npuprobe dump` and `npuprobe serve` against prometheus_client's own exposition, byte for byte.

usage: exposition_identity_check.py NPUPROBE EXPOSITION_WRITER GOLDEN_ROOT
       exposition_identity_check.py write DIR ROUND      (internal: the Python writer process)

Folders: one written by npuprobe (EXPOSITION_WRITER, run as two processes), one written by the
real client (this script in `write` mode, two processes), one with both, and the golden folder of
the client's store format. For each, the client reads the folder (MultiProcessCollector) and
prints it with generate_latest() and openmetrics' generate_latest(); npuprobe must print the
same bytes with `dump`, and serve them over HTTP (plain, OpenMetrics, gzip).
Which client: NPUPROBE_INTEROP_CLIENT_DIR / NPUPROBE_INTEROP_CLIENT_VERSION, as interop_check.py.

Known differences between the clients, handled here and documented in docs/exposition.md:
- prometheus_client reads the files in the order glob() returns them (directory order, which
  no filesystem promises); npuprobe reads them sorted by name. The client is given that order.
- 0.25 groups each family's samples by label set (a histogram's _sum, buckets and _count per
  label set together); 0.16 to 0.20 list all _sum samples first. npuprobe prints 0.16's order;
  for 0.25 its output is regrouped the same way before the comparison.
- 0.25's OpenMetrics writes sample names with ':' turned into '_' (its default "underscores"
  escaping checks sample names against the label-name characters) while its HELP and TYPE lines
  keep the ':'; npuprobe keeps the names. For 0.25 the check turns npuprobe's ':' in sample
  names into '_' before the comparison.
Exit 0 = pass, 1 = fail, 77 = skipped (the client is absent and CI is not "true").
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

SKIP = 77
FAIL = 1
HELP = "Line one.\nLine two: a \\ backslash, \"quotes\", \\n not a newline."
NASTY = "q\"b\\s\nn \u00e9\u4e2d\U0001F600"
BUCKETS = [1e-05, 0.005, 0.1 + 0.2, 1.0, 2.5, 1234567.0, 2.5e7, 123456789.0, 1e16,
           1.7976931348623157e308]
MODES = ["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent",
         "livemostrecent"]
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
ACCEPT_OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def python_writer(directory, round_):
    """The same families as exposition_writer.cc, through the real client, plus a summary."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    from prometheus_client import Counter, Gauge, Histogram, Summary
    labels = ["model_name", "engine"]
    model = ["m/7b", "0" if round_ == 0 else NASTY]
    tokens = Counter("vllm:prompt_tokens_total", HELP, labels)
    tokens.labels(*model).inc(0.1)
    tokens.labels(*model).inc(0.2)
    tokens.labels("m/7b", "big").inc(1.5e300 * (round_ + 1))
    Counter("vllm:odd", "No labels; \\ at the end \\").inc(123456789012.0 if round_ == 0 else 1e-05)
    ttft = Histogram("vllm:time_to_first_token_seconds", HELP, labels, buckets=BUCKETS)
    for value in [0.0, 1e-06, 0.004, 0.3, 1.0, 2.0, 3e6, 1e20]:
        ttft.labels(*model).observe(value * (round_ + 1))
    ttft.labels("m/13b", "1").observe(0.25)
    for mode in MODES:
        if mode not in Gauge._MULTIPROC_MODES:
            continue  # 0.16 and 0.17 have no mostrecent modes
        gauge = Gauge(f"vllm:gauge_{mode}", HELP, ["engine"], multiprocess_mode=mode)
        gauge.labels("0").set(-0.0 if round_ == 0 else 0.75)
        gauge.labels(NASTY).set(1e22 if round_ == 0 else -1.5)
        gauge.labels("inf").set(float("inf") if round_ == 0 else 2.0)
    latency = Summary("vllm:e2e_request_latency_seconds", HELP, ["finished_reason"])
    latency.labels("stop").observe(0.5 + round_)
    latency.labels(NASTY).observe(1e-05)


def client_expositions(directory):
    """What the client's HTTP handler sends for the folder, text 0.0.4 (no Accept) and
    OpenMetrics (the Accept header the check sends), as bytes: the encoders choose_encoder()
    picks."""
    from prometheus_client import CollectorRegistry, multiprocess
    from prometheus_client.exposition import choose_encoder
    unsorted_glob = glob.glob
    glob.glob = lambda pattern: sorted(unsorted_glob(pattern))  # npuprobe's file order
    try:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return choose_encoder(None)[0](registry), choose_encoder(ACCEPT_OPENMETRICS)[0](registry)
    finally:
        glob.glob = unsorted_glob


LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def regroup_by_label_set(text):
    """0.25's sample order: within a family, samples grouped by label set (le aside), groups in
    first-seen order, samples in their order within a group."""
    out, block = [], []

    def flush():
        order = {}
        keyed = []
        for line in block:
            labels = line[line.index("{"):line.rindex("}")] if "{" in line.split(" ")[0] else ""
            key = tuple(p for p in LABEL.findall(labels) if p[0] != "le")
            keyed.append((order.setdefault(key, len(order)), len(keyed), line))
        out.extend(line for _, _, line in sorted(keyed))
        block.clear()

    for line in text.decode().splitlines(keepends=True):
        if line.startswith("#"):
            flush()
            out.append(line)
        else:
            block.append(line)
    flush()
    return "".join(out).encode()


def underscore_sample_names(text):
    """0.25's OpenMetrics sample names: ':' as '_' (HELP and TYPE lines untouched)."""
    lines = text.decode().splitlines(keepends=True)
    return "".join(line if line.startswith("#") else
                   re.sub(r"^[^{ ]+", lambda m: m.group(0).replace(":", "_"), line)
                   for line in lines).encode()


def fetch(port, accept=None, encoding=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if accept:
        request.add_header("Accept", accept)
    if encoding:
        request.add_header("Accept-Encoding", encoding)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.headers["Content-Type"], body


def first_difference(want, got):
    for number, (a, b) in enumerate(zip(want.splitlines(), got.splitlines()), 1):
        if a != b:
            return f"line {number}:\n  client:   {a!r}\n  npuprobe: {b!r}"
    return f"lengths differ: client {len(want)} bytes, npuprobe {len(got)} bytes"


def compare_folder(npuprobe, directory, label, regroup):
    text, om = client_expositions(directory)
    adjust = regroup_by_label_set if regroup else (lambda body: body)
    adjust_om = (lambda body: underscore_sample_names(adjust(body))) if regroup else adjust
    dump = subprocess.run([npuprobe, "dump", "--dir", directory], capture_output=True, check=True)
    results = [("dump", text, adjust(dump.stdout))]
    server = subprocess.Popen([npuprobe, "serve", "--dir", directory, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = re.search(r"\(port (\d+)\)", server.stdout.readline()).group(1)
        content_type, body = fetch(port)
        assert content_type == "text/plain; version=0.0.4; charset=utf-8", content_type
        results.append(("serve text", text, adjust(body)))
        _, body = fetch(port, encoding="gzip")
        results.append(("serve text gzip", text, adjust(body)))
        content_type, body = fetch(port, accept=ACCEPT_OPENMETRICS)
        assert content_type == OPENMETRICS, content_type
        results.append(("serve openmetrics", om, adjust_om(body)))
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    failed = False
    for what, want, got in results:
        if want != got:
            print(f"FAIL {label}: {what} differs from the client's at {first_difference(want, got)}")
            failed = True
    if not failed:
        how = ("identical once regrouped by label set and, in OpenMetrics, ':' in sample names "
               "made '_' (0.25's differences)" if regroup else "byte-identical")
        print(f"PASS {label}: dump, serve text (plain, gzip), serve openmetrics {how} "
              f"({len(text)} + {len(om)} bytes, {text.count(b'# TYPE')} families)")
    return not failed


def unavailable(message):
    if os.environ.get("CI") == "true":
        print(f"FAIL: {message} (CI=true: this test must run on CI, not skip)")
        return FAIL
    print(f"SKIP: {message} (set CI=true to make this a failure)")
    return SKIP


def main():
    npuprobe, writer, golden_root = sys.argv[1:4]
    client_dir = os.environ.get("NPUPROBE_INTEROP_CLIENT_DIR", "")
    wanted = os.environ.get("NPUPROBE_INTEROP_CLIENT_VERSION", "")
    if client_dir and not os.path.isdir(os.path.join(client_dir, "prometheus_client")):
        return unavailable(f"no vendored prometheus_client {wanted} at {client_dir}")
    try:
        import prometheus_client
        from prometheus_client import mmap_dict
    except ImportError as error:
        return unavailable(f"no prometheus_client for {sys.executable} ({error})")
    imported_from = os.path.dirname(os.path.dirname(os.path.realpath(prometheus_client.__file__)))
    if client_dir and imported_from != os.path.realpath(client_dir):
        print(f"FAIL: prometheus_client imported from {imported_from}, not {client_dir}")
        return FAIL
    if not client_dir and not imported_from.startswith("/usr/lib/python3"):
        return unavailable(f"{sys.executable}'s prometheus_client is from {imported_from}, not "
                           f"Debian's {wanted}")
    fmt = "v2" if hasattr(mmap_dict, "_pack_two_doubles") else "v1"
    regroup = tuple(int(p) for p in wanted.split(".")[:2]) >= (0, 25)
    root = tempfile.mkdtemp(prefix="npuprobe-identity-")
    ok = True
    try:
        folders = {name: os.path.join(root, name) for name in ("npuprobe", "python", "mixed")}
        for path in folders.values():
            os.mkdir(path)
        for round_ in (0, 1):
            subprocess.run([writer, folders["npuprobe"], fmt, str(round_)], check=True)
            subprocess.run([sys.executable, __file__, "write", folders["python"], str(round_)],
                           check=True)
        subprocess.run([writer, folders["mixed"], fmt, "0"], check=True)
        subprocess.run([sys.executable, __file__, "write", folders["mixed"], "1"], check=True)
        folders["golden"] = os.path.join(golden_root,
                                         "client_python-0.16" if fmt == "v1" else "client_python-0.25")
        for name, path in folders.items():
            ok &= compare_folder(npuprobe, path, f"{wanted} {fmt} {name}", regroup)
    finally:
        if ok:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"the folders stay in {root}")
    return 0 if ok else FAIL


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        python_writer(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
