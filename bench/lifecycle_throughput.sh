#!/usr/bin/env bash
# Life-cycle writes over HTTP: acknowledged transitions per second, and check throughput while
# writes run against read-only, in one run (issue targets: >= 5000 transitions/s; checks under
# writes >= 90% of read-only).
#
#   bench/lifecycle_throughput.sh [ENTRIES] [SECONDS] [WRITERS]
#     (defaults: 1000000 entries, 10 s, 4 writer connections in the mixed run)
#
# Loads ENTRIES generated entries, starts `credlist serve` on 127.0.0.1 and runs, one after the
# other: (1) checks alone: wrk -t1 -c32 GET /v1/subjects/{key} over 10000 keys, half of them
# listed; (2) writes alone: wrk -t1 -c64 POST /v1/entries, each a new black entry (a
# transition: submitted, committed before its 201); (3) checks as in (1) while WRITERS
# connections write as in (2), each waiting for its acknowledgement. A write is acknowledged
# only after its group commit is fsync'ed (store/ledger_store.h). Loopback only; everything it
# starts is stopped at the end.
set -eu
cd "$(dirname "$0")/.."
entries=${1:-1000000}
seconds=${2:-10}
writers=${3:-4}
bin=${CREDLIST_BIN:-build/tools/credlist}
work=$(mktemp -d /tmp/credlist-bench-XXXXXX)
port=18183
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }

echo "generating and loading $entries entries..."
"$bin" generate --entries "$entries" --seed 11 --out "$work/entries.ndjson" 2>/dev/null
"$bin" load "$work/entries.ndjson" --data "$work/data" >/dev/null
token=$("$bin" token add --data "$work/data" --role department --department 市中级人民法院 2>/dev/null)
"$bin" serve --data "$work/data" --listen 127.0.0.1:$port > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/serve.log" && break; sleep 0.1; done

grep -o '"uscc":"[0-9A-Z]*"' "$work/entries.ndjson" | cut -d'"' -f4 | head -200000 |
  shuf -n 10000 --random-source=<(yes) > "$work/keys"
cat > "$work/read.lua" <<LUA
local keys = {}
for line in io.lines("$work/keys") do keys[#keys + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", "/v1/subjects/" .. keys[math.random(#keys)])
end
LUA
# Each request a new entry: a run prefix, and a counter per connection's thread.
cat > "$work/write.lua" <<LUA
local n = 0
local run = tostring(os.time()) .. tostring(math.random(1000000))
local keys = {}
for line in io.lines("$work/keys") do keys[#keys + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  n = n + 1
  local body = '{"entry_id":"BENCH-' .. run .. '-' .. n .. '","list":"black",' ..
    '"category":"失信被执行人","name":"营口压测贸易有限公司","uscc":"' ..
    keys[(n % #keys) + 1] .. '","department":"市中级人民法院","decided_on":"2026-10-01"}'
  return wrk.format(nil, "/v1/entries", nil, body)
end
LUA

rate() { grep Requests/sec | awk '{print $2}'; }
errors() { grep -E "Non-2xx|Socket errors" || true; }
url=http://127.0.0.1:$port

echo "== checks alone (${seconds} s)"
wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/r1"
read_only=$(rate < "$work/r1"); errors < "$work/r1"
echo "== writes alone (${seconds} s)"
wrk -t1 -c64 -d"${seconds}s" -s "$work/write.lua" "$url" > "$work/w1"
writes=$(rate < "$work/w1"); errors < "$work/w1"
echo "== checks while $writers connections write (${seconds} s)"
wrk -t1 -c"$writers" -d"${seconds}s" -s "$work/write.lua" "$url" > "$work/w2" &
wpid=$!
wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/r2"
wait $wpid
read_mixed=$(rate < "$work/r2"); writes_mixed=$(rate < "$work/w2"); errors < "$work/r2"; errors < "$work/w2"

printf 'transitions/s (writes alone):      %s\n' "$writes"
printf 'checks/s alone:                    %s\n' "$read_only"
printf 'checks/s while writes run:         %s (writes meanwhile: %s/s)\n' "$read_mixed" "$writes_mixed"
awk -v a="$read_mixed" -v b="$read_only" 'BEGIN { printf "checks under writes / alone:       %.2f\n", a / b }'
