#!/usr/bin/env bash
# The main job on a fresh machine: install packages, build, and run the mocked NPU with a
# vLLM-like decode workload (task queue, async scheduling, two devices), printing the ground
# truth the simulated device reports. Later layers add npuprobe's live metrics on top.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

bash scripts/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

report=$(mktemp /tmp/npu-sim-report.XXXXXX.json)
set -x
build/mock/bin/npu-sim --steps 200 --launches 120 --device-us 30 --launch-host-us 15 \
  --host-gap-us 800 --binding opapi --task-queue --async-sched --devices 0,1 \
  --alloc-bytes $((512 << 20)) --report "$report"
set +x
echo "--- ground truth ($report)"
cat "$report"
