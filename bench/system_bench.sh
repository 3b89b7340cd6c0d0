#!/usr/bin/env bash
# System benchmarks of issue 8: macro (step-time overhead under npu-sim), publication (flush
# time, bytes per process, resident memory) and collection (npuprobe dump against
# prometheus_client's MultiProcessCollector). Writes macro.json, publication_flush.json,
# publication_bytes.json, publication_rss.json and collection.json into --out
# (bench/results/FORMAT.md). --quick: one short repetition of each (CI smoke, under 90 s).
#
# usage: bench/system_bench.sh --build DIR --out DIR [--quick]
set -euo pipefail

usage() { echo "usage: $0 --build DIR --out DIR [--quick]" >&2; exit 2; }

build="" out="" quick=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) [[ $# -ge 2 ]] || usage; build="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
    --quick) quick=(--quick); shift ;;
    -h|--help) usage ;;
    *) echo "$0: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$build" && -n "$out" ]] || usage

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for f in "$build/bin/npuprobe" "$build/mock/bin/npu-sim" "$build/lib/libnpuprobe.so"; do
  [[ -e "$f" ]] || { echo "$0: $f missing: build first (ninja -C $build)" >&2; exit 2; }
done
mkdir -p "$out"

py=/usr/bin/python3  # Debian's, with prometheus_client 0.16
start=$SECONDS
"$py" "$here/macro_bench.py" --build "$build" --out "$out" "${quick[@]}"
"$py" "$here/publication_bench.py" --build "$build" --out "$out" "${quick[@]}"
"$py" "$here/collection_bench.py" --build "$build" --out "$out" "${quick[@]}"
echo "system_bench: done in $((SECONDS - start)) s, results in $out"
