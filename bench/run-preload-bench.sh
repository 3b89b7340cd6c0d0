#!/usr/bin/env bash
# Runs bench/preload_overhead_bench under LD_PRELOAD of build/lib/libnpuprobe.so, with a private
# store folder. Extra arguments go to Google Benchmark (e.g. --benchmark_repetitions=5).
set -euo pipefail
build=${NPUPROBE_BUILD:-$(dirname "$(readlink -f "$0")")/../build}
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
PROMETHEUS_MULTIPROC_DIR=$folder NPUPROBE_LISTEN=off LD_PRELOAD=$build/lib/libnpuprobe.so \
  "$build/bin/preload_overhead_bench" "$@"
