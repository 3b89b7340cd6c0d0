#!/usr/bin/env bash
# The whole test suite on a fresh machine: Debian packages, a from-scratch build, unit and
# end-to-end tests; then the same suite under AddressSanitizer+UBSan and ThreadSanitizer; then
# the libFuzzer targets for a short while (scripts/fuzz.sh). After the release suite, a quick
# smoke of every benchmark (scripts/run-bench --quick), then the aarch64 cross build and the same
# suite on its binaries under qemu (scripts/aarch64.sh).
#   NPUPROBE_SANITIZERS="asan tsan" (default) | "" to skip them
#   NPUPROBE_FUZZ=0 skips the libFuzzer run at the end (scripts/fuzz.sh, clang, build-fuzz/);
#   NPUPROBE_FUZZ_SECONDS=20 (default here) is its time per fuzzer.
#   NPUPROBE_AARCH64=0 skips the aarch64 build and suite (build-aarch64/, build-aarch64-sysroot/).
#   CI=true turns warnings into errors.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

bash scripts/setup-deps.sh

jobs=$(nproc)
sanitizers=${NPUPROBE_SANITIZERS-asan tsan}

run_suite() {
  local dir=$1
  shift
  echo "=== npuprobe tests: $dir ($*)"
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The glibc floor on a real old system: the preload and the mock, alone in a Debian bullseye root.
bash scripts/old-glibc-check.sh build
# The benchmarks start and finish (a smoke: no timing is asserted; bench/README.md has figures).
scripts/run-bench --quick --build build

# aarch64 (Kunpeng Atlas hosts): cross-built, every release test but the Python serving harness
# run under qemu user-mode emulation.
if [ "${NPUPROBE_AARCH64:-1}" != 0 ]; then
  NPUPROBE_AARCH64_JOBS=$jobs bash scripts/aarch64.sh
fi

for san in $sanitizers; do
  case $san in
    asan)
      # verify_asan_link_order=0: tests preload instrumented libraries (libmspti.so) ahead of
      # the runtime that the executable brings.
      ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DNPUPROBE_SANITIZER=asan -DNPUPROBE_BUILD_BENCH=OFF
      ;;
    tsan)
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        run_suite build-tsan -DCMAKE_BUILD_TYPE=Debug -DNPUPROBE_SANITIZER=tsan -DNPUPROBE_BUILD_BENCH=OFF
      ;;
    *) echo "unknown sanitizer '$san'" >&2; exit 2 ;;
  esac
done
if [ "${NPUPROBE_FUZZ:-1}" != 0 ]; then
  NPUPROBE_FUZZ_SECONDS=${NPUPROBE_FUZZ_SECONDS:-20} bash scripts/fuzz.sh
fi
echo "=== npuprobe tests: all passed"
