#!/usr/bin/env bash
# Load check for `gpt serve`: starts the server on a free loopback port, sends a bounded number of
# single-line POST /api/classify requests from a few keep-alive clients, and reports requests/s,
# latency percentiles and the server's resident memory as the requests go by. A measurement, not
# a test: it passes unless a request fails. Only 127.0.0.1 is ever sent to.
#
#   scripts/loadcheck.sh [--model PATH] [--requests N] [--clients C] [--gpt PATH] [--hostile]
#
# Defaults: model.safetensors, 2000 requests, 4 clients, the release build in .build/release/gpt
# (build it with `swift build -c release`). --hostile then also holds 1,000 connections that sent
# half a request and two that send a 200 KB header, times normal requests meanwhile, and reports
# when the server answered or closed the held ones. Needs python3 (standard library only).
set -euo pipefail

model=model.safetensors
requests=2000
clients=4
gpt=.build/release/gpt
hostile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --gpt) gpt="$2"; shift 2 ;;
    --hostile) hostile=1; shift ;;
    *) echo "error: unknown argument '$1'" >&2
       echo "usage: $0 [--model PATH] [--requests N] [--clients C] [--gpt PATH] [--hostile]" >&2; exit 2 ;;
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

python3 - "$port" "$requests" "$clients" "$server" "$hostile" <<'PYTHON'
import http.client, json, resource, socket, sys, threading, time

port, total, clients, pid, hostile = (int(a) for a in sys.argv[1:6])
lines = [
    "disk usage at 91% on /var/log",
    "user admin logged in from 10.0.0.7",
    "backup of orders failed: /var/lib/redis/dump.rdb not writable",
    "certificate for mail.example.net expires in 6 days",
]
latencies, failures, lock, done = [], [], threading.Lock(), [0]

def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    return float("nan")

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
        with lock: done[0] += 1
    connection.close()
    with lock: latencies.extend(mine)

def percentile(values, p): return 1000 * values[min(len(values) - 1, int(p / 100 * len(values)))]

# Warm up: the first request of each connection also pays for copying a classifier.
warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
warm.request("POST", "/api/classify", json.dumps({"lines": lines}), {"Content-Type": "application/json"})
warm.getresponse().read()
warm.close()

print(f"server RSS before: {rss_mb():.1f} MB")
start = time.perf_counter()
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for thread in threads: thread.start()
marks = [total * k // 4 for k in (1, 2, 3)]
while any(thread.is_alive() for thread in threads):
    with lock: count = done[0]
    if marks and count >= marks[0]:
        print(f"server RSS after {count:>7} requests: {rss_mb():.1f} MB")
        marks.pop(0)
    time.sleep(0.05)
elapsed = time.perf_counter() - start
print(f"server RSS after {total:>7} requests: {rss_mb():.1f} MB")

latencies.sort()
print(f"{len(latencies)} single-line requests from {clients} clients in {elapsed:.2f} s")
print(f"throughput  {len(latencies) / elapsed:.0f} requests/s")
print(f"latency     p50 {percentile(latencies, 50):.2f} ms   p90 {percentile(latencies, 90):.2f} ms   "
      f"p99 {percentile(latencies, 99):.2f} ms   max {1000 * latencies[-1]:.2f} ms")
if failures:
    print(f"error: {len(failures)} requests failed, the first: {failures[0]}", file=sys.stderr)
    sys.exit(1)

if hostile:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    held = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())  # half a request, then nothing
        held.append(s)
    large = []
    for _ in range(2):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        large.append(s)
    held_at = time.perf_counter()
    def send_large(s):
        try: s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Large: {'a' * 200_000}\r\n\r\n".encode())
        except OSError: pass  # refused before the whole header was sent
    senders = [threading.Thread(target=send_large, args=(s,)) for s in large]
    for sender in senders: sender.start()
    normal = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(50):
        begin = time.perf_counter()
        connection.request("POST", "/api/classify", json.dumps({"lines": [lines[n % 4]]}), {"Content-Type": "application/json"})
        response = connection.getresponse(); response.read()
        normal.append(time.perf_counter() - begin)
        if response.status != 200: print(f"error: a normal request got {response.status}", file=sys.stderr); sys.exit(1)
    connection.close()
    normal.sort()
    print(f"with 1000 half-sent requests and two 200 KB headers held: 50 normal requests, "
          f"p50 {percentile(normal, 50):.2f} ms, max {1000 * normal[-1]:.2f} ms; server RSS {rss_mb():.1f} MB")
    for sender in senders: sender.join()
    for s in large:
        s.settimeout(10)
        try: reply = s.recv(200).split(b"\r\n")[0].decode()
        except OSError as error: reply = f"({error})"
        print(f"a 200 KB header got: {reply} after {time.perf_counter() - held_at:.2f} s")
    closed = 0
    for s in held:
        s.settimeout(max(0.1, held_at + 20 - time.perf_counter()))
        try:
            reply = s.recv(100)
            closed += 1
        except OSError:
            pass
    print(f"{closed} of the 1000 half-sent requests answered 408 or closed by the server "
          f"{time.perf_counter() - held_at:.1f} s after they were sent")
    for s in held + large: s.close()
PYTHON
