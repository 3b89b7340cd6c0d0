#!/usr/bin/env bash
# Runs the libFuzzer targets for a while: the configuration loaders (YAML, msserviceprofiler
# JSON, bare JSON) and the `.db` reader. Built with clang in build-fuzz/ under ASan+UBSan, with
# libFuzzer's coverage on the libraries under test (NPUPROBE_FUZZ_INSTRUMENT); only the fuzz
# targets and what they link are built there.
#   NPUPROBE_FUZZ_SECONDS=60 (default)   time per fuzzer
#   NPUPROBE_FUZZ_BUILD_DIR=build-fuzz   the clang build tree
# Each fuzzer starts from a scratch corpus in a temporary folder, seeded from the repository
# (tests/fuzz/seeds/<target>/, and config/npuprobe.example.yaml and the golden .db files under
# tests/data/prometheus-multiproc), which it reads but never writes; the targets' sources are in
# tests/fuzz/. A crash, leak, timeout or out-of-memory fails the script; the reproducer is kept
# under <build dir>/fuzz/artifacts/ (add it to tests/fuzz/seeds/<target>/ so that the gcc replay
# ctest keeps covering it, once fixed).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

seconds=${NPUPROBE_FUZZ_SECONDS:-60}
build=${NPUPROBE_FUZZ_BUILD_DIR:-build-fuzz}
case $seconds in
  '' | *[!0-9]*) echo "fuzz: NPUPROBE_FUZZ_SECONDS must be a whole number (got '$seconds')" >&2; exit 2 ;;
esac
for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool not found (scripts/setup-deps.sh installs it)" >&2
    exit 2
  fi
done

# name:target:read-only seed folders (space separated)
fuzzers=(
  "config:config_fuzz_loaders:tests/fuzz/seeds/config_fuzz_loaders"
  "store:store_fuzz_db_reader:tests/fuzz/seeds/store_fuzz_db_reader"
)

echo "=== npuprobe fuzz: configure $build (clang, asan, libFuzzer coverage)"
# CC/CXX only matter on the first configure; a tree configured with another compiler is refused
# below rather than silently rebuilt.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNPUPROBE_SANITIZER=asan -DNPUPROBE_FUZZ_INSTRUMENT=ON -DNPUPROBE_BUILD_BENCH=OFF \
  -DNPUPROBE_WERROR=ON
if ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' "$build/CMakeCache.txt"; then
  echo "fuzz: $build is not a clang tree; remove it or set NPUPROBE_FUZZ_BUILD_DIR" >&2
  exit 2
fi

targets=()
for f in "${fuzzers[@]}"; do
  IFS=: read -r _ target _ <<<"$f"
  targets+=("$target")
done
echo "=== npuprobe fuzz: build ${targets[*]}"
start=$SECONDS
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
echo "=== npuprobe fuzz: built in $((SECONDS - start)) s"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/npuprobe-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz/artifacts"
artifacts=$(cd "$build/fuzz/artifacts" && pwd)

# ASan/UBSan: abort on the first report so that libFuzzer writes the reproducer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for f in "${fuzzers[@]}"; do
  IFS=: read -r name target seed_dirs <<<"$f"
  corpus=$scratch/$name/corpus
  log=$build/fuzz/$name.log
  mkdir -p "$corpus"
  read_only=()
  for d in $seed_dirs; do
    if [ -d "$d" ]; then read_only+=("$d"); fi
  done
  # Seeds that are not in a seed folder of their own: copied into the scratch corpus.
  case $name in
    config) cp config/npuprobe.example.yaml "$corpus/" ;;
    store)
      for db in tests/data/prometheus-multiproc/*/*.db; do
        cp "$db" "$corpus/$(basename "$(dirname "$db")")_$(basename "$db")"
      done
      ;;
  esac
  echo "=== npuprobe fuzz: $target for ${seconds} s (corpus $corpus + ${read_only[*]:-no seed folder})"
  rc=0
  # The first folder is the one libFuzzer writes new inputs to: the scratch corpus.
  "$build/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
    "$corpus" "${read_only[@]}" >"$log" 2>&1 || rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo '(INITED|DONE) +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -n 1 |
        sed -E 's/^(INITED|DONE) +//')
  if [ "$rc" -ne 0 ]; then
    echo "--- $target failed (exit $rc); the end of $log:"
    tail -n 80 "$log"
    artifact=$(grep -Eo '(Test unit|artifact) written to [^ ]+' "$log" | tail -n 1 | awk '{print $NF}')
    echo "--- reproducer: ${artifact:-none written (see $log)}"
    echo "--- replay: $build/bin/$target ${artifact:-<file>}"
    failed+=("$target")
    summary+=("$target: FAILED (exit $rc) after ${execs:-?} execs; reproducer ${artifact:-none}")
  else
    summary+=("$target: ok, ${execs:-?} execs in ${seconds} s, ${cov:-no coverage line}")
  fi
done

echo "=== npuprobe fuzz: summary (logs in $build/fuzz/)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "=== npuprobe fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "=== npuprobe fuzz: no crash"
