#!/usr/bin/env bash
# The main job on a fresh machine: install packages, build, then serve a vLLM-shaped model on two
# mocked NPUs (the serving harness of tests/serving/ as `vllm serve --data-parallel-size 2` runs:
# two engine cores on devices 0 and 1, two API servers) under `npuprobe run`, send it a steady
# stream of completions, show `npuprobe top` once a
# second, then a final per-device table and the /metrics URL, and stop everything.
#   NPUPROBE_DEMO_PORT (default: a free port), NPUPROBE_DEMO_SECONDS (default 20),
#   NPUPROBE_BUILD (build folder, default build)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

build=${NPUPROBE_BUILD:-build}
bash scripts/setup-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"

seconds=${NPUPROBE_DEMO_SECONDS:-20}
port=${NPUPROBE_DEMO_PORT:-0}  # 0: the harness binds a free port and writes it to --port-file
final_s=5                      # the final table covers the last 5 s of the stream
live_tables=$((seconds > final_s ? seconds - final_s : 1))
cli=$build/bin/npuprobe
work=$(mktemp -d /tmp/npuprobe-demo.XXXXXX)
store=$work/store
mkdir -p "$store"

# The harness loads the fake CANN by soname, as vLLM-Ascend loads CANN. Own registry and control
# segment: an `npuprobe off` left on this machine must not silence the demo, nor the demo's
# processes show up in the user's `npuprobe status`.
export LD_LIBRARY_PATH=$PWD/$build/mock/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NPUPROBE_REGISTRY_DIR=$work/registry
export MS_SERVICE_METRIC_SHM_PREFIX=/npuprobe_demo_$$
export NPUPROBE_FLUSH_MS=250 PYTHONUNBUFFERED=1
unset PROMETHEUS_MULTIPROC_DIR  # `npuprobe run --dir` sets it

harness=""
clients=()
# Stops the clients, then the harness as a whole process group (SIGTERM: the API server stops
# its workers in order, so npuprobe flushes; SIGKILL after 20 s), then removes the segment.
cleanup() {
  touch "$work/stop"
  # A client ends after its current request; one stuck on a hung harness is killed with its curl.
  for client in "${clients[@]}"; do
    for _ in $(seq 50); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
    pkill -P "$client" 2>/dev/null || true
    kill "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true  # never a bare `wait`: that would wait for the harness
  done
  clients=()
  if [ -n "$harness" ]; then
    kill -TERM -- "-$harness" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 -- "-$harness" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$harness" 2>/dev/null || true
    wait "$harness" 2>/dev/null || true
  fi
  rm -f "/dev/shm${MS_SERVICE_METRIC_SHM_PREFIX}_control" \
    "/dev/shm/sem.${MS_SERVICE_METRIC_SHM_PREFIX#/}_semaphore"
}
trap cleanup EXIT
trap 'echo "demo: interrupted, stopping" >&2; exit 130' INT TERM

"$cli" check --dir "$store" --quiet

# The harness's documented command line (tests/serving/README.md), in its own session so that
# the whole group (API server and workers) can be stopped at once.
command=("$cli" run --dir "$store" -- /usr/bin/python3 tests/serving/api_server.py
  --model npuprobe-mock-llm --data-parallel-size 2 --port "$port" --port-file "$work/port")
echo "\$ ${command[*]}"
setsid "${command[@]}" >"$work/service.log" 2>&1 &
harness=$!

url=""
for _ in $(seq 900); do  # up to 90 s: two workers load the model
  if ! kill -0 "$harness" 2>/dev/null; then
    echo "demo: the harness exited; the end of $work/service.log:" >&2
    tail -n 20 "$work/service.log" >&2
    exit 1
  fi
  if [ -z "$url" ] && [ -s "$work/port" ]; then url="http://127.0.0.1:$(cat "$work/port")"; fi
  if [ -n "$url" ] && curl -sf -o /dev/null "$url/health"; then break; fi
  sleep 0.1
done
if [ -z "$url" ] || ! curl -sf -o /dev/null "$url/health"; then
  echo "demo: the harness is not healthy after 90 s (see $work/service.log)" >&2
  exit 1
fi
echo "serving on $url (v1/completions, /metrics); npuprobe writes into $store"

# A steady stream: 4 clients, each sending completions back to back (round-robin over the two
# workers), until the stop file appears. One HTTP status per line in requests.N.log.
send_requests() {
  local n=0
  while [ ! -e "$work/stop" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 "$url/v1/completions" \
      -H 'Content-Type: application/json' \
      -d "{\"model\": \"npuprobe-mock-llm\", \"prompt\": \"client $1 request $n: what is an NPU\", \"max_tokens\": 32}" \
      >>"$work/requests.$1.log" || echo "curl-failed" >>"$work/requests.$1.log"
    n=$((n + 1))
  done
}
for c in 1 2 3 4; do
  send_requests "$c" &
  clients+=($!)
done

echo "--- live: npuprobe top --dir $store (once a second, ${live_tables} s)"
"$cli" top --dir "$store" --interval 1 --iterations "$live_tables"
echo "--- final: per device over the last ${final_s} s of the stream"
"$cli" top --dir "$store" --once --interval "$final_s" | cat  # a pipe: no screen clearing, the live view stays

touch "$work/stop"
wait "${clients[@]}"
clients=()
ok=$(cat "$work"/requests.*.log | grep -c '^200$' || true)
total=$(cat "$work"/requests.*.log | wc -l)
echo "requests: $ok of $total answered 200"
echo "--- $url/metrics (excerpt; Prometheus scrapes this URL while the service runs)"
curl -s "$url/metrics" | grep -E '^(vllm_profiling_npu:steps_total|vllm:request_success_total)' || true
echo "store folder kept: $store (npuprobe dump --dir / serve --dir / top --dir)"
cleanup
trap - EXIT
if kill -0 -- "-$harness" 2>/dev/null; then
  echo "demo: harness processes left behind" >&2
  exit 1
fi
echo "demo: stopped cleanly"
