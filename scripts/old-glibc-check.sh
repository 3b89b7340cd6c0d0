#!/usr/bin/env bash
# The glibc floor, proven on a real old system (issue 17): a Debian bullseye root (glibc 2.31,
# GCC 10's libstdc++; the oldest Debian the registry serves), made once with debootstrap and
# kept in build-bullseye-root/, gets nothing but the floored files of a build: the preload and
# the mock (libraries and npu-sim). npu-sim runs there under the preload on two devices, and the
# store it leaves is read back here by `npuprobe dump`: exact counts, from bullseye's own libc.
#   usage: old-glibc-check.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
build=$(readlink -f "${1:-build}")
root=$PWD/build-bullseye-root

if [ ! -x "$root/usr/bin/ldd" ]; then
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  fi
  rm -rf "$root"
  debootstrap --variant=minbase bullseye "$root" http://deb.debian.org/debian >"$root.log" 2>&1 ||
    { tail -20 "$root.log"; exit 1; }
fi
echo "old-glibc-check: $(chroot "$root" /usr/bin/ldd --version | head -1)"

scripts/check-glibc-floor.sh "$build"/lib/libnpuprobe.so "$build"/mock/lib/*.so "$build"/mock/bin/npu-sim

opt=$root/opt/npuprobe
rm -rf "$opt" "$root/tmp/npuprobe-store"
mkdir -p "$opt/lib" "$opt/mock/lib" "$opt/mock/bin" "$root/tmp/npuprobe-store"
cp "$build/lib/libnpuprobe.so" "$opt/lib/"
cp "$build"/mock/lib/*.so "$opt/mock/lib/"
cp "$build/mock/bin/npu-sim" "$opt/mock/bin/"

steps=25 launches=3
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH=/opt/npuprobe/mock/lib \
  PROMETHEUS_MULTIPROC_DIR=/tmp/npuprobe-store NPUPROBE_LISTEN=off NPUPROBE_ATTRIBUTION=0 \
  LD_PRELOAD=/opt/npuprobe/lib/libnpuprobe.so \
  /opt/npuprobe/mock/bin/npu-sim --steps $steps --launches $launches --devices 0,1

dump=$("$build/bin/npuprobe" dump --dir "$root/tmp/npuprobe-store")
status=0
for device in 0 1; do
  for want in "vllm_profiling_npu:steps_total{device=\"$device\",dp=\"0\"} $steps.0" \
              "vllm_profiling_npu:launches_total{api=\"aclnn\",device=\"$device\",dp=\"0\"} $((steps * launches)).0" \
              "vllm_profiling_npu:syncs_total{api=\"stream\",device=\"$device\",dp=\"0\"} $steps.0"; do
    if ! grep -qxF "$want" <<<"$dump"; then
      echo "old-glibc-check: missing or wrong: $want"
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "old-glibc-check: npu-sim under the preload on glibc 2.31: exact counts"
exit $status
