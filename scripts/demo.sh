#!/usr/bin/env bash
# The main job on a fresh machine: install packages, build, and run a vLLM-like decode on the
# mocked NPU (task queue, async scheduling, two devices) under npuprobe, with live metrics:
# `npuprobe serve` plays vLLM's /metrics over the store folder while the workload runs, and at
# the end npuprobe's view is printed beside the ground truth the simulated device reports.
#   NPUPROBE_DEMO_PORT (default 9464), NPUPROBE_DEMO_STEPS (default 1500)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

bash scripts/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

port=${NPUPROBE_DEMO_PORT:-9464}
steps=${NPUPROBE_DEMO_STEPS:-1500}
work=$(mktemp -d /tmp/npuprobe-demo.XXXXXX)
folder=$work/store
report=$work/truth.json
mkdir -p "$folder"
export NPUPROBE_FLUSH_MS=250
build/bin/npuprobe serve --dir "$folder" --listen "127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

set -x
build/bin/npuprobe run --dir "$folder" -- \
  build/mock/bin/npu-sim --steps "$steps" --launches 120 --device-us 30 --launch-host-us 15 \
  --host-gap-us 800 --binding opapi --task-queue --async-sched --devices 0,1 \
  --alloc-bytes $((512 << 20)) --report "$report" &
set +x
sim=$!

# Live: what Prometheus would scrape from http://127.0.0.1:$port/metrics, once a second.
while kill -0 "$sim" 2>/dev/null; do
  sleep 1
  curl -s "http://127.0.0.1:$port/metrics" | awk '
    /^vllm_profiling_npu:steps_total/ { split($1, a, "device=\""); split(a[2], b, "\""); steps[b[1]] = $2 }
    /^vllm_profiling_npu:launches_total/ { launches += $2 }
    /^vllm_profiling_npu:memory:allocated_bytes/ { mem += $2 }
    END { line = "live /metrics:"; for (dev in steps) line = line " device " dev " steps=" steps[dev];
          printf "%s launches=%d allocated_bytes=%d\n", line, launches, mem }' || true
done
wait "$sim"

echo "--- npuprobe's view (npuprobe dump --dir $folder), per device"
build/bin/npuprobe dump --dir "$folder" | awk '
  /^#/ { next }
  { split($1, a, "device=\""); split(a[2], b, "\""); dev = b[1] }
  /^vllm_profiling_npu:steps_total/ { s[dev] = $2 }
  /^vllm_profiling_npu:forward_duration_sum/ { f[dev] = $2 }
  /^vllm_profiling_npu:kernel_launch_sum/ { k[dev] = $2 }
  /^vllm_profiling_npu:non_forward_duration_sum/ { n[dev] = $2 }
  /^vllm_profiling_npu:launches_per_step_sum/ { l[dev] = $2 }
  END { for (dev in s) if (s[dev] > 0)
          printf "device %s: steps=%d launches/step=%.1f forward=%.3f ms kernel_launch=%.3f ms non_forward=%.3f ms (means)\n",
                 dev, s[dev], l[dev] / s[dev], 1000 * f[dev] / s[dev], 1000 * k[dev] / s[dev],
                 1000 * n[dev] / s[dev] }'
echo "--- ground truth ($report)"
cat "$report"
echo "--- the full exposition: build/bin/npuprobe dump --dir $folder"
