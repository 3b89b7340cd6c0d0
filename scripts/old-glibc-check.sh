#!/usr/bin/env bash
# The glibc floor, proven on a real old system (issue 17): a Debian bullseye root (glibc 2.31,
# GCC 10's libstdc++; the oldest Debian the registry serves), made once with debootstrap and
# kept in build-bullseye-root/, gets nothing but the release packages of a build (CPack's
# npuprobe and npuprobe-mock tarballs, unpacked at /). There, with bullseye's own libc and
# nothing else installed, every shipped command is run and checked:
#   npuprobe --version; npu-sim under the preload through `npuprobe run` (exact counts);
#   `npuprobe dump`, `check --json`, `top --once --json`; `npuprobe serve` and the embedded
#   exposer answering /metrics (fetched from here: the root shares this machine's network).
# Before that, every ELF file of both packages is read by scripts/check-glibc-floor.sh.
#   usage: old-glibc-check.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
build=$(readlink -f "${1:-build}")
root=$PWD/build-bullseye-root
packages=$PWD/build-bullseye-packages

if [ ! -x "$root/usr/bin/ldd" ]; then
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  fi
  rm -rf "$root"
  debootstrap --variant=minbase bullseye "$root" http://deb.debian.org/debian >"$root.log" 2>&1 ||
    { tail -20 "$root.log"; exit 1; }
fi
echo "old-glibc-check: $(chroot "$root" /usr/bin/ldd --version | head -1)"

# The packages, exactly as a user gets them, unpacked over a clean /opt/npuprobe.
rm -rf "$packages" "$root/opt/npuprobe" "$root/tmp/npuprobe-store"
cpack -G TGZ -B "$packages" --config "$build/CPackConfig.cmake" >"$packages.log" 2>&1 ||
  { tail -20 "$packages.log"; exit 1; }
for tarball in "$packages"/*.tar.gz; do tar -C "$root" -xzf "$tarball"; done
mapfile -t shipped < <(find "$root/opt/npuprobe" -type f -exec sh -c \
  'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \; | sort)
scripts/check-glibc-floor.sh "${shipped[@]}"

status=0
fail() { echo "old-glibc-check: FAIL: $*"; status=1; }
# /proc as a host has it (the CLI and the preload read /proc/self and /proc/<pid>).
if mount -t proc proc "$root/proc"; then
  trap 'umount "$root/proc" 2>/dev/null || true' EXIT
else
  echo "old-glibc-check: cannot mount /proc in the root; going on without it"
fi
# Runs in the root with an empty environment but for what is named. in_root_exec replaces the
# calling (background) subshell, so that $! is the command itself and `kill` reaches it.
in_root() { chroot "$root" /usr/bin/env -i PATH=/opt/npuprobe/bin:/usr/bin:/bin "$@"; }
in_root_exec() { exec chroot "$root" /usr/bin/env -i PATH=/opt/npuprobe/bin:/usr/bin:/bin "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# fetch PORT [REGEX]: the /metrics body, retried while the server starts (at most ~10 s); with
# REGEX, retried until a line of the body matches it (the last body is printed either way).
fetch() {
  python3 - "$@" <<'EOF'
import re, sys, time, urllib.request
want = re.compile(sys.argv[2], re.M) if len(sys.argv) > 2 else None
body = None
for _ in range(100):
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
        if want is None or want.search(body):
            break
    except OSError:
        pass
    time.sleep(0.1)
if body is not None:
    print(body, end="")
sys.exit(0 if body is not None else 1)
EOF
}
# expect TEXT LINE...: every line is in TEXT, exactly.
expect() {
  local text=$1 what=$2
  shift 2
  for want in "$@"; do grep -qxF "$want" <<<"$text" || fail "$what: missing or wrong: $want"; done
}

version=$(in_root npuprobe --version) || fail "npuprobe --version exited $?"
echo "old-glibc-check: $version"
[[ $version == *"glibc >= 2.28"* ]] || fail "--version does not name the floor: $version"

# npu-sim under the preload, started by the installed `npuprobe run` (it finds the preload
# beside itself). Attribution stays at its default: bullseye's minbase has no libunwind, so it
# must turn itself off with one line and leave everything else running.
steps=25 launches=3
run_log=$(in_root npuprobe run --dir /tmp/npuprobe-store -- \
  npu-sim --steps $steps --launches $launches --devices 0,1 2>&1) || fail "npuprobe run: $run_log"
grep -q "npuprobe.*libunwind" <<<"$run_log" ||
  fail "attribution without libunwind said nothing: $run_log"
counts=()
for device in 0 1; do
  counts+=("vllm_profiling_npu:steps_total{device=\"$device\",dp=\"0\"} $steps.0"
           "vllm_profiling_npu:launches_total{api=\"aclnn\",device=\"$device\",dp=\"0\"} $((steps * launches)).0"
           "vllm_profiling_npu:syncs_total{api=\"stream\",device=\"$device\",dp=\"0\"} $steps.0")
done
expect "$(in_root npuprobe dump --dir /tmp/npuprobe-store)" "dump" "${counts[@]}"

# check, with the mock's CANN libraries where CANN's set_env.sh would put the real ones.
check=$(in_root LD_LIBRARY_PATH=/opt/npuprobe/lib/npuprobe-mock \
  npuprobe check --dir /tmp/npuprobe-store --json) || fail "check exited $?: $check"
python3 -c 'import json, sys; assert json.loads(sys.argv[1])["passed"] is True' "$check" ||
  fail "check --json: $check"
top=$(in_root npuprobe top --dir /tmp/npuprobe-store --once --json) || fail "top --once exited $?"
python3 - "$top" <<'EOF' || fail "top --once --json: $top"
import json, sys
rows = json.loads(sys.argv[1])["rows"]
assert sorted(str(r["device"]) for r in rows) == ["0", "1"], rows
EOF

port=$(free_port)
in_root_exec npuprobe serve --dir /tmp/npuprobe-store --listen "127.0.0.1:$port" &
serve=$!
expect "$(fetch "$port")" "serve" "${counts[@]}"
kill "$serve"; wait "$serve" 2>/dev/null || true

# The embedded exposer: no folder named, NPUPROBE_LISTEN set; scraped while npu-sim runs (~4 s).
port=$(free_port)
in_root_exec NPUPROBE_LISTEN="127.0.0.1:$port" LD_PRELOAD=/opt/npuprobe/lib/npuprobe/libnpuprobe.so \
  npu-sim --steps 400 --launches 1 --host-gap-us 10000 --devices 0 >/dev/null 2>&1 &
sim=$!
steps_line='^vllm_profiling_npu:steps_total\{device="0",dp="0"\} [1-9]'
scraped=$(fetch "$port" "$steps_line") || fail "the embedded exposer never answered on 127.0.0.1:$port"
grep -qE "$steps_line" <<<"$scraped" ||
  fail "the embedded exposer shows no steps: $(head -c 600 <<<"$scraped")"
wait "$sim" || fail "npu-sim under the embedded exposer exited $?"

[ $status -eq 0 ] && echo "old-glibc-check: the packages on glibc 2.31 (bullseye, nothing else installed): version, run, dump, check, top, serve and the embedded exposer work, exact counts"
exit $status
