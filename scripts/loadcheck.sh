#!/usr/bin/env bash
# Load check for `gpt serve`: starts the server on a free loopback port, sends a bounded number of
# single-line POST /api/classify requests from a few keep-alive clients, and reports requests/s
# and latency percentiles. A measurement, not a test: it passes unless a request fails.
#
#   scripts/loadcheck.sh [--model PATH] [--requests N] [--clients C] [--gpt PATH]
#
# Defaults: model.safetensors, 2000 requests, 4 clients, the release build in .build/release/gpt
# (build it with `swift build -c release`). Needs python3 (standard library only).
set -euo pipefail

model=model.safetensors
requests=2000
clients=4
gpt=.build/release/gpt
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --gpt) gpt="$2"; shift 2 ;;
    *) echo "error: unknown argument '$1'" >&2
       echo "usage: $0 [--model PATH] [--requests N] [--clients C] [--gpt PATH]" >&2; exit 2 ;;
  esac
done
[[ -x "$gpt" ]] || { echo "error: no gpt binary at $gpt" >&2; echo "HINT: swift build -c release, or pass --gpt PATH" >&2; exit 1; }
[[ -f "$model" ]] || { echo "error: no model at $model" >&2; echo "HINT: gpt train -o $model, or pass --model PATH" >&2; exit 1; }

log=$(mktemp)
"$gpt" serve --model "$model" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
server=$!
trap 'kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
  [[ -n "$port" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "error: the server did not say its address within 10 s" >&2; cat "$log" >&2; exit 1; }

python3 - "$port" "$requests" "$clients" <<'PYTHON'
import http.client, json, sys, threading, time

port, total, clients = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lines = [
    "disk usage at 91% on /var/log",
    "user admin logged in from 10.0.0.7",
    "backup of orders failed: /var/lib/redis/dump.rdb not writable",
    "certificate for mail.example.net expires in 6 days",
]
latencies, failures, lock = [], [], threading.Lock()

def client(index):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine = []
    for n in range(index, total, clients):
        body = json.dumps({"lines": [lines[n % len(lines)]]})
        start = time.perf_counter()
        connection.request("POST", "/api/classify", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        reply = response.read()
        mine.append(time.perf_counter() - start)
        if response.status != 200:
            with lock: failures.append((response.status, reply[:200]))
    connection.close()
    with lock: latencies.extend(mine)

# Warm up: the first request of each connection also pays for copying a classifier.
warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
warm.request("POST", "/api/classify", json.dumps({"lines": lines}), {"Content-Type": "application/json"})
warm.getresponse().read()
warm.close()

start = time.perf_counter()
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for thread in threads: thread.start()
for thread in threads: thread.join()
elapsed = time.perf_counter() - start

latencies.sort()
def percentile(p): return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]
print(f"{len(latencies)} single-line requests from {clients} clients in {elapsed:.2f} s")
print(f"throughput  {len(latencies) / elapsed:.0f} requests/s")
print(f"latency     p50 {percentile(50):.2f} ms   p90 {percentile(90):.2f} ms   p99 {percentile(99):.2f} ms   max {1000 * latencies[-1]:.2f} ms")
if failures:
    print(f"error: {len(failures)} requests failed, the first: {failures[0]}", file=sys.stderr)
    sys.exit(1)
PYTHON
