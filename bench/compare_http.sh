#!/usr/bin/env bash
# credlist single lookups vs nginx serving a static file of the same size, one run, same wrk
# command (API.md GET /v1/subjects/{key}; issue target: >= 1.0x nginx).
#
#   bench/compare_http.sh [ENTRIES] [SECONDS]      (defaults: 1000000 entries, 10 s)
#
# Generates ENTRIES entries, loads them, starts `credlist serve` on 127.0.0.1, picks 10000
# keys (half of them listed subjects, half valid keys of nobody), and drives both servers with
# wrk -t2 -c64 and a Lua script that requests the keys in random order. nginx answers every
# path with one static file as large as a typical check result. Prints both rates and the ratio.
# Loopback only; everything it starts is stopped at the end.
set -eu
cd "$(dirname "$0")/.."
entries=${1:-1000000}
seconds=${2:-10}
bin=${CREDLIST_BIN:-build/tools/credlist}
work=$(mktemp -d /tmp/credlist-bench-XXXXXX)
port_c=18181
port_n=18182
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "needs wrk and nginx-light: apt-get install wrk nginx-light" >&2; exit 1; }

echo "generating and loading $entries entries..."
"$bin" generate --entries "$entries" --seed 11 --out "$work/entries.ndjson" 2>/dev/null
"$bin" load "$work/entries.ndjson" --data "$work/data" >/dev/null
"$bin" serve --data "$work/data" --listen 127.0.0.1:$port_c > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/serve.log" && break; sleep 0.1; done

# Keys: 5000 subjects of the data, 5000 valid USCCs of nobody (generated with another seed and
# checked to be clear).
grep -o '"uscc":"[0-9A-Z]*"' "$work/entries.ndjson" | cut -d'"' -f4 | shuf -n 5000 --random-source=<(yes) > "$work/hits"
"$bin" generate --entries 20000 --seed 999 --out "$work/other.ndjson" 2>/dev/null
grep -o '"uscc":"[0-9A-Z]*"' "$work/other.ndjson" | cut -d'"' -f4 | sort -u > "$work/other"
sort -u "$work/hits" > "$work/hits.sorted"
grep -o '"uscc":"[0-9A-Z]*"' "$work/entries.ndjson" | cut -d'"' -f4 | sort -u > "$work/all"
comm -23 "$work/other" "$work/all" > "$work/misses.all"; head -5000 "$work/misses.all" > "$work/misses"
cat "$work/hits" "$work/misses" > "$work/keys"

cat > "$work/keys.lua" <<LUA
local keys = {}
for line in io.lines("$work/keys") do keys[#keys + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", "/v1/subjects/" .. keys[math.random(#keys)])
end
LUA

# The static file: as large as the average check result over 200 of the keys.
total=0
for k in $(shuf -n 200 --random-source=<(yes) "$work/keys"); do
  total=$((total + $(curl -s "http://127.0.0.1:$port_c/v1/subjects/$k" | wc -c)))
done
size=$((total / 200))
mkdir -p "$work/www"
head -c "$size" /dev/zero | tr '\0' 'x' > "$work/www/result.json"
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  server {
    listen 127.0.0.1:$port_n reuseport;
    root $work/www;
    location / { try_files /result.json =404; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

run() {
  wrk -t2 -c64 -d"${seconds}s" -s "$work/keys.lua" "http://127.0.0.1:$1" | awk '/Requests\/sec/ {print $2}'
}
echo "check result: $size bytes on average; wrk -t2 -c64 -d${seconds}s, 10000 keys (half hits)"
rc=$(run $port_c)
rn=$(run $port_n)
echo "credlist: $rc req/s"
echo "nginx:    $rn req/s (static file of $size bytes)"
awk -v a="$rc" -v b="$rn" 'BEGIN { printf "ratio credlist/nginx: %.2f\n", a / b }'
