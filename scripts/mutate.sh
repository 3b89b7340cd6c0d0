#!/usr/bin/env bash
# Mutation check: applies deliberate bugs to the step model, the store writer and the dlsym path,
# one at a time, in a scratch worktree of HEAD, rebuilds, runs the suite and says which test went
# red. A mutation the suite does not catch ("survived") fails this script.
#
# usage: scripts/mutate.sh [--build DIR] [--only N] [--keep]
#   --build DIR  build folder inside the worktree (default build-mutate)
#   --only N     run mutation N only (1-based, as listed)
#   --keep       keep the worktree (default: removed at the end)
# Run on a quiet machine: each mutation is an incremental build and one ctest run (the serving
# harness aside), and the table names the first three tests that went red.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
repo=$PWD
build=build-mutate only="" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--only N] [--keep]" >&2; exit 2 ;;
  esac
done

# file | exact text | replacement | what the bug is ("\n" in a text is a line break)
mutations=(
  "probes/src/device_steps.cc|step.forward_ns = elapsed(step_start, t1_ns);|step.forward_ns = elapsed(step_start, t0_ns);|step model: forward ends where the wait starts, not where it returns"
  "probes/src/device_steps.cc|step.has_non_forward = prev_step_end_ != 0;|step.has_non_forward = true;|step model: a device's first step observes a non-forward gap"
  "probes/src/device_steps.cc|if (launches < min_launches) return {};|if (launches <= min_launches) return {};|step model: off by one in phases.min_launches_per_step"
  "probes/src/launch_probe.cc|if (!records_into_graph(api)) s.steps.on_launch|if (api != LaunchApi::kCapture) s.steps.on_launch|step model: task-group update launches open a step"
  "store/src/db_file_writer.cc|store_double(map_ + value_offset, value);|store_double(map_ + value_offset, value + 1);|store writer: every value written one too high"
  "store/src/db_file_writer.cc|if (format_ == StoreFormat::kV2) store_double(map_ + value_offset + 8, timestamp);|static_cast<void>(timestamp);|store writer: v2 timestamps never written"
  "preload/interpose/dlsym_lookup.cc|!is_aclnn_second_stage(name, target)) return target;|!looks_like_aclnn_op_name(name)) return target;|dlsym: any aclnn name gets a second-stage thunk (no twin check)"
  "preload/interpose/dlsym_lookup.cc|  npuprobe::preload::invalidate_resolved_names();\n  return rc;|  return rc;|dlsym: dlclose keeps the remembered decisions"
  "preload/interpose/resolved_names.cc|std::strcmp(entry_name, name) == 0) {|entry_name != nullptr) {|dlsym: a remembered decision ignores the name"
  "preload/wrappers/wrappers_copy.cc|if (host != nullptr && !g_pinned_host.contains(host)) {|if (host != nullptr && !g_pinned_host.contains(host) && kind == ACL_MEMCPY_HOST_TO_HOST) {|copies: a blocking conditional copy counts as a launch"
)

work=$(mktemp -d /tmp/npuprobe-mutate.XXXXXX)
cleanup() {
  # The logs stay (they say which test went red and why); the worktree goes unless --keep.
  if [ $keep = 0 ]; then git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
tree=$work/tree
cd "$tree"
echo "=== mutate: baseline build ($tree/$build)"
# The worktree lies elsewhere: the reader tests find the vendored prometheus_client beside the
# real checkout.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPUPROBE_BUILD_BENCH=OFF \
  -DNPUPROBE_CLIENT_PYTHON_VENDOR="$repo/../shared/vendor/client_python" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

results=()
survived=0
for i in "${!mutations[@]}"; do
  n=$((i + 1))
  [ -n "$only" ] && [ "$only" != "$n" ] && continue
  IFS='|' read -r file from to what <<<"${mutations[$i]}"
  python3 - "$file" "$from" "$to" <<'PY'
import sys
path, old, new = (a.replace("\\n", "\n") for a in sys.argv[1:])
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutate: {path}: the text to mutate occurs {text.count(old)} times: {old!r}")
open(path, "w").write(text.replace(old, new))
PY
  echo "=== mutate $n: $what"
  if ! cmake --build "$build" -j "$(nproc)" >"$work/build.$n.log" 2>&1; then
    result="killed (does not build)"; first="-"
  elif ctest --test-dir "$build" -j "$(nproc)" --timeout 300 -E serving \
      >"$work/ctest.$n.log" 2>&1; then
    result="SURVIVED"; first="-"; survived=$((survived + 1))
  else
    result="killed"
    first=$(sed -n 's/.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*.*/\1/p' "$work/ctest.$n.log" |
      head -3 | paste -sd, -)
  fi
  git checkout -- "$file"
  results+=("| $n | $what | \`$file\` | $result | ${first:--} |")
done
cmake --build "$build" -j "$(nproc)" >/dev/null  # back to HEAD

echo
echo "| # | mutation | file | result | first tests that went red |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo
if [ $survived -gt 0 ]; then
  echo "mutate: $survived mutation(s) survived the suite" >&2
  exit 1
fi
echo "mutate: every mutation was caught (logs: $work)"
