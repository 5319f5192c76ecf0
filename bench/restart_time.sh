#!/usr/bin/env bash
# Restart time: `credlist serve --data DIR` from its start until /readyz answers 200 (issue
# target: a 10M-entry data directory ready in <= 5 s).
#
#   bench/restart_time.sh DIR [RUNS]      (default: 3 runs)
#
# DIR is a loaded data directory (credlist generate --entries N --seed 1 --out F.ndjson;
# credlist load F.ndjson --data DIR). Each run starts the server, polls /readyz every 20 ms,
# prints the wall time to ready, the server's user + system CPU time by then and its resident
# memory, and stops it with SIGTERM (which waits for a snapshot image being written, so the
# next run finds it). CREDLIST_BIN picks the binary (default build/tools/credlist).
set -eu
cd "$(dirname "$0")/.."
dir=$1
runs=${2:-3}
bin=${CREDLIST_BIN:-build/tools/credlist}
port=${PORT:-18191}
for run in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  "$bin" serve --data "$dir" --listen 127.0.0.1:$port --threads 1 > /tmp/credlist-restart.$$.log 2>&1 &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/readyz)" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { cat /tmp/credlist-restart.$$.log; exit 1; }
    sleep 0.02
  done
  end=$(date +%s.%N)
  ticks=$(getconf CLK_TCK)
  cpu=$(awk -v t="$ticks" '{ printf "%.2f", ($14 + $15) / t }' /proc/$pid/stat)
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$pid/status)
  printf 'run %d: ready in %.2f s wall, %s s CPU, RSS %s MiB; %s\n' "$run" \
    "$(echo "$end - $start" | bc)" "$cpu" "$rss" "$(grep -o 'ready: .*' /tmp/credlist-restart.$$.log)"
  # Let a snapshot image being written finish (the server prints when it is).
  for _ in $(seq 1 600); do
    grep -q 'snapshot image written\|warning: snapshot image:' /tmp/credlist-restart.$$.log && break
    grep -q '(snapshot image)' /tmp/credlist-restart.$$.log && break
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid" || true
  grep -h 'warning\|image written' /tmp/credlist-restart.$$.log || true
done
rm -f /tmp/credlist-restart.$$.log
