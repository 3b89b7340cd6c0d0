#!/usr/bin/env bash
# aarch64: cross-build npuprobe with g++-aarch64-linux-gnu against Debian's arm64 packages and run
# the release suite (unit, end-to-end, hostile) on the aarch64 binaries under qemu user-mode
# emulation. Called by scripts/test.sh after the release suite; runs alone too (after
# scripts/setup-deps.sh).
#
#   build-aarch64-sysroot/  the arm64 packages, fetched with `apt-get download` and unpacked with
#                           `dpkg -x` (nothing is installed: Debian's -dev packages of yaml-cpp,
#                           prometheus-cpp and civetweb are not Multi-Arch: same, so installing
#                           their :arm64 builds would remove the amd64 ones). Kept between runs;
#                           remade when the package list below changes.
#   build-aarch64/          the cross build (cmake/aarch64-linux-gnu.cmake), RelWithDebInfo.
#
# The kernel runs the aarch64 executables through qemu-aarch64-static once binfmt_misc knows it:
# this script registers the handler when it is missing (root, or sudo). QEMU_LD_PREFIX makes qemu
# look up every absolute path in the sysroot first (the loader, the libraries, the C library's
# debug files under /usr/lib/debug), and it reaches every process the tests start, since qemu
# hands its environment to the emulated program unchanged.
#   NPUPROBE_AARCH64_JOBS   build and ctest parallelism (default: nproc)
#   NPUPROBE_AARCH64_SLOW   how much longer a timing bound may take under qemu (default 4; the
#                           tests read it from NPUPROBE_SLOWDOWN)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
root=$PWD
sysroot=$root/build-aarch64-sysroot
build=$root/build-aarch64
jobs=${NPUPROBE_AARCH64_JOBS:-$(nproc)}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# The arm64 packages of what the build links and what the tests load. Runtime libraries come with
# their -dev packages; libc6-dbg: without the C library's symbols a worker thread's stack ends in
# an unnamed libc frame and the attribution tests fail (as on x86-64, scripts/setup-deps.sh).
# civetweb and libcurl: prometheus-cpp's CMake package asks for them (civetweb::server names the
# civetweb program, and the push component libcurl), although npuprobe links neither.
packages=(
  libc6 libc6-dev libc6-dbg linux-libc-dev libcrypt1 libcrypt-dev libgcc-s1 libstdc++6
  libyaml-cpp0.7 libyaml-cpp-dev libspdlog1.10 libspdlog-dev libfmt9 libfmt-dev
  prometheus-cpp-dev libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0
  libprometheus-cpp-push1.0 libcivetweb1 libcivetweb-dev civetweb
  libcurl4 libcurl4-openssl-dev
  zlib1g zlib1g-dev libunwind8 libunwind-dev libdw1 libdw-dev libelf1 libelf-dev
  liblzma5 liblzma-dev libzstd1 libzstd-dev libbz2-1.0 libbz2-dev
  googletest libgtest-dev libgmock-dev libbenchmark1debian libbenchmark-dev libjemalloc2
)

make_sysroot() {
  local stamp=$sysroot/.packages
  local want
  want=$(printf '%s\n' "${packages[@]}")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "aarch64: sysroot $sysroot is up to date"
    return
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -q
  fi
  rm -rf "$sysroot"
  mkdir -p "$sysroot/.debs"
  local specs=()
  for p in "${packages[@]}"; do
    case $p in
      googletest) specs+=("$p") ;;  # Architecture: all (the gtest and gmock sources)
      *) specs+=("$p:arm64") ;;
    esac
  done
  (cd "$sysroot/.debs" && apt-get download -q "${specs[@]}" ||
    { $SUDO apt-get update -q && apt-get download -q "${specs[@]}"; })
  for deb in "$sysroot"/.debs/*.deb; do
    dpkg -x "$deb" "$sysroot"
  done
  rm -rf "$sysroot/.debs"
  # Debian's merged /usr: packages put files under /lib and /usr/lib alike, and the loader is
  # looked up as /lib/ld-linux-aarch64.so.1; /lib and friends become links to usr/ as on a real
  # arm64 host.
  for d in lib bin sbin; do
    if [ -d "$sysroot/$d" ] && [ ! -L "$sysroot/$d" ]; then
      cp -a "$sysroot/$d/." "$sysroot/usr/$d/"
      rm -rf "${sysroot:?}/$d"
    fi
    mkdir -p "$sysroot/usr/$d"
    ln -sfn "usr/$d" "$sysroot/$d"
  done
  # Links that name an absolute path (an -dev package's libfoo.so -> /lib/..., and so on) would
  # point into this machine's own root: make them relative, inside the sysroot.
  find "$sysroot" -type l -lname '/*' | while read -r link; do
    local target
    target=$(readlink "$link")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot$target")" "$link"
  done
  printf '%s\n' "$want" >"$stamp"
  echo "aarch64: sysroot ready ($(du -sh "$sysroot" | cut -f1))"
}

# binfmt_misc: the kernel hands aarch64 ELF files to qemu-aarch64-static. Debian's own line
# (/usr/lib/binfmt.d/qemu-aarch64.conf, flags OPF) when there is one: F opens the interpreter
# now, so it works in any mount namespace and root; P keeps argv[0].
register_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  if [ ! -e "$dir/register" ]; then
    $SUDO mount -t binfmt_misc binfmt_misc "$dir"
  fi
  if [ -e "$dir/qemu-aarch64" ]; then
    if ! grep -qx enabled "$dir/qemu-aarch64"; then echo 1 | $SUDO tee "$dir/qemu-aarch64" >/dev/null; fi
    echo "aarch64: binfmt_misc handler present ($(grep -E '^(interpreter|flags)' "$dir/qemu-aarch64" | tr '\n' ' '))"
    return
  fi
  local line
  if [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
    line=$(grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | head -1)
  else
    line=':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F'
  fi
  printf '%s' "$line" | $SUDO tee "$dir/register" >/dev/null
  echo "aarch64: registered the binfmt_misc handler qemu-aarch64"
}

case ${1:-all} in
  sysroot) make_sysroot; exit 0 ;;
  binfmt) register_binfmt; exit 0 ;;
  all) ;;
  *) echo "usage: $0 [all|sysroot|binfmt]" >&2; exit 2 ;;
esac

t0=$SECONDS
make_sysroot
register_binfmt
export QEMU_LD_PREFIX=$sysroot
t1=$SECONDS
echo "=== npuprobe tests: $build (aarch64, cross-built, run under qemu-aarch64-static)"
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPUPROBE_BUILD_BENCH=OFF
cmake --build "$build" -j "$jobs"
t2=$SECONDS
# The binaries are aarch64 ones and run as such (not on this machine's CPU by accident).
for f in lib/libnpuprobe.so lib/libnpuprobe-symbolizer.so bin/npuprobe mock/bin/npu-sim; do
  readelf -h "$build/$f" | grep -q 'Machine: *AArch64' ||
    { echo "aarch64: $build/$f is not an aarch64 file" >&2; exit 1; }
done
[ "$("$build/mock/bin/npu-sim" --help >/dev/null 2>&1; echo $?)" = 0 ] ||
  { echo "aarch64: npu-sim does not run through binfmt_misc + qemu" >&2; exit 1; }

# Tests that cannot run on aarch64 binaries from an x86-64 machine, each with its reason.
# Everything else runs: the e2e and hostile drivers are Python, but the processes they start
# (npu-sim, the helpers, the CLI) are the aarch64 ones; the few test methods that preload into
# python3 itself skip (npuprobe_run.FOREIGN_PRELOAD).
excluded=(
  # The serving harness: its API server and workers are /usr/bin/python3 processes (x86-64)
  # with libnpuprobe.so in LD_PRELOAD, and an aarch64 library cannot go into them.
  serving_smoke serving_prometheus serving_dashboard serving_vllm_setups
  # python3 (x86-64) opens libnpuprobe-exposer.so with ctypes to call its C ABI.
  store.exposer_plugin
)
regex="^($(IFS='|'; echo "${excluded[*]}"))\$"
echo "aarch64: excluded (x86-64 python3 would load an aarch64 library): ${excluded[*]}"
NPUPROBE_SLOWDOWN=${NPUPROBE_AARCH64_SLOW:-4} \
  ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 -E "$regex"
t3=$SECONDS
echo "aarch64: sysroot and binfmt $((t1 - t0)) s, cross build $((t2 - t1)) s, suite under qemu $((t3 - t2)) s"
