#!/usr/bin/env bash
# Life-cycle writes over HTTP: acknowledged transitions per second, and check throughput while
# writes run against read-only, in one run (issue targets: >= 5000 transitions/s; checks under
# writes >= 90% of read-only).
#
#   bench/lifecycle_throughput.sh [ENTRIES] [SECONDS] [RATE]
#     (defaults: 1000000 entries, 10 s, 200 writes/s in the paced run)
#
# Loads ENTRIES generated entries, starts `credlist serve` on 127.0.0.1 and runs, one after the
# other: (1) checks alone: wrk -t1 -c32 GET /v1/subjects/{key} over 10000 keys of the data;
# (2) writes alone: wrk -t1 -c64 POST /v1/entries, each a new black entry (a transition:
# submitted, committed before its 201); (3) three rounds of checks as in (1), alone and then
# while a paced writer (python3, one kept-alive connection) submits RATE entries a second, each
# waiting for its acknowledgement: the median ratio; (4) checks while wrk writes flat out with
# 4 connections, for the record.
# A write is acknowledged only after its group commit is fsync'ed (store/ledger_store.h).
# On a 2-core machine the load generators share the cores with the server: the server's own
# CPU time per request is printed too. Loopback only; everything it starts is stopped at the
# end.
set -eu
cd "$(dirname "$0")/.."
entries=${1:-1000000}
seconds=${2:-10}
rate=${3:-200}
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

# Checks ask for 10000 subjects of the first half of the data; writes list subjects of the
# second half, one new entry per subject as a city's would be.
grep -o '"uscc":"[0-9A-Z]*"' "$work/entries.ndjson" | cut -d'"' -f4 > "$work/all"
half=$(( $(wc -l < "$work/all") / 2 ))
head -n "$half" "$work/all" | shuf -n 10000 --random-source=<(yes) > "$work/keys"
tail -n +"$((half + 1))" "$work/all" > "$work/write_keys"
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
for line in io.lines("$work/write_keys") do keys[#keys + 1] = line end
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
a0=$(awk '{print $14 + $15}' /proc/$serve_pid/stat)
wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/r1"
a1=$(awk '{print $14 + $15}' /proc/$serve_pid/stat)
read_only=$(rate < "$work/r1"); errors < "$work/r1"
echo "== writes alone (${seconds} s)"
wrk -t1 -c64 -d"${seconds}s" -s "$work/write.lua" "$url" > "$work/w1"
writes=$(rate < "$work/w1"); errors < "$work/w1"
cat > "$work/paced.py" <<PY
import http.client, json, sys, time
rate, seconds, token = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
keys = open("$work/write_keys").read().split()
conn = http.client.HTTPConnection("127.0.0.1", $port)
start, n, acked = time.time(), 0, 0
while time.time() - start < seconds:
    due = start + n / rate
    if due > time.time(): time.sleep(due - time.time())
    body = json.dumps({"entry_id": "PACED-%d-%d" % (int(start), n), "list": "black",
                       "category": "失信被执行人", "name": "营口压测贸易有限公司",
                       "uscc": keys[n % len(keys)], "department": "市中级人民法院",
                       "decided_on": "2026-10-01"})
    conn.request("POST", "/v1/entries", body, {"Content-Type": "application/json",
                                               "Authorization": "Bearer " + token})
    r = conn.getresponse(); r.read()
    acked += r.status == 201
    n += 1
print("%.1f" % (acked / (time.time() - start)))
PY
cpu() { awk '{print $14 + $15}' /proc/$serve_pid/stat; }
tck=$(getconf CLK_TCK)

# Checks alone and checks beside the paced writer, alternated three times (the machine drifts
# within a minute); the median of the three ratios.
ratios=""
for round in 1 2 3; do
  echo "== round $round: checks alone, then while $rate writes/s are acknowledged (${seconds} s each)"
  wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/ra"
  python3 "$work/paced.py" "$rate" "$seconds" "$token" > "$work/p1" &
  ppid=$!
  wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/r2"
  wait $ppid
  alone=$(rate < "$work/ra"); read_paced=$(rate < "$work/r2"); writes_paced=$(cat "$work/p1")
  ratios="$ratios $(awk -v a="$read_paced" -v b="$alone" 'BEGIN { printf "%.3f", a / b }')"
  printf '   checks/s alone %s, with %s writes/s acknowledged %s\n' "$alone" "$writes_paced" "$read_paced"
done
paced_ratio=$(echo $ratios | tr ' ' '\n' | sort -n | sed -n 2p)

echo "== checks while 4 connections write flat out (${seconds} s)"
c0=$(cpu)
wrk -t1 -c4 -d"${seconds}s" -s "$work/write.lua" "$url" > "$work/w2" &
wpid=$!
wrk -t1 -c32 -d"${seconds}s" -s "$work/read.lua" "$url" > "$work/r3"
wait $wpid
c1=$(cpu)
read_mixed=$(rate < "$work/r3"); writes_mixed=$(rate < "$work/w2"); errors < "$work/r3"; errors < "$work/w2"

printf 'transitions/s (writes alone):      %s\n' "$writes"
printf 'checks/s alone:                    %s\n' "$read_only"
printf 'checks with %s writes/s / alone:    %s (median of%s)\n' "$rate" "$paced_ratio" "$ratios"
printf 'checks/s with writes flat out:     %s (writes meanwhile: %s/s)\n' "$read_mixed" "$writes_mixed"
awk -v a="$read_mixed" -v b="$read_only" 'BEGIN { printf "  ratio to checks alone:           %.2f\n", a / b }'
# The server's CPU per request: a check alone, and what a write adds in the flat-out run.
awk -v a="$((a1 - a0))" -v c="$((c1 - c0))" -v t="$tck" -v r0="$read_only" -v r="$read_mixed" \
    -v w="$writes_mixed" -v s="$seconds" 'BEGIN {
  per_check = a / t / (r0 * s); per_write = (c / t - per_check * r * s) / (w * s)
  printf "server CPU per check:              %.1f us\n", per_check * 1e6
  printf "server CPU per write:              %.1f us\n", per_write * 1e6 }'
