#!/usr/bin/env bash
# Installs every Debian package npuprobe needs to build, test, benchmark and run the demo.
# Idempotent: packages already present are skipped, so a warm machine pays one dpkg query.
# Run as root (or with sudo available) on Debian 12 / Ubuntu 22.04+.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries (static archives are linked into the preload; see docs/developers.md). zlib also
  # gzips /metrics answers (the HTTP server is npuprobe's own: no prometheus-cpp or civetweb)
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libunwind-dev libdw-dev libelf-dev zlib1g-dev liblzma-dev libzstd-dev libbz2-dev
  # the C library's debug symbols: without them a worker thread's stack ends in an unnamed libc
  # frame (clone3/start_thread), every such stack is `partial`, and the attribution tests
  # (thread_entry_test, e2e test_attribution) fail under CI=true
  libc6-dbg
  # tests and benchmarks (prometheus-cpp only for bench/store_record_bench.cc, which compares
  # npuprobe's registry with prometheus-cpp's histogram; nothing that ships links it)
  libgtest-dev libgmock-dev googletest libbenchmark-dev valgrind libjemalloc2 prometheus-cpp-dev
  # scripts/fuzz.sh: clang, and compiler-rt (libFuzzer, ASan), which clang only recommends
  clang libclang-rt-dev
  # serving harness and the real Python reader of the store
  python3 python3-prometheus-client curl procps
  # scripts/aarch64.sh: the cross compiler and qemu user-mode emulation (the arm64 libraries are
  # unpacked into build-aarch64-sysroot/ by that script, never installed)
  g++-aarch64-linux-gnu qemu-user-static
  # the real Prometheus server that tests/serving/test_prometheus.py and test_dashboard.py start
  # on loopback (the tests skip without /usr/bin/prometheus; they never use a system service)
  prometheus
  # scripts/old-glibc-check.sh: a Debian bullseye root for the glibc floor
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
