#!/usr/bin/env bash
# POST /v1/screen throughput and memory (issue target: >= 2M rows/s streamed, 10M rows in
# <= 5 s, with flat memory).
#
#   bench/screen_throughput.sh [ENTRIES] [ROWS]      (defaults: 1000000 entries, 10000000 rows)
#
# Loads ENTRIES generated entries, writes a CSV of ROWS keys (listed subjects USCCs interleaved with
# the keys of nobody, repeated: about half the rows are hits; see the summary line), starts
# `credlist serve`, streams the CSV with curl, and prints rows/s and the server's resident
# memory before and after. Loopback only; everything it starts is stopped at the end.
set -eu
cd "$(dirname "$0")/.."
entries=${1:-1000000}
rows=${2:-10000000}
bin=${CREDLIST_BIN:-build/tools/credlist}
work=$(mktemp -d /tmp/credlist-screen-XXXXXX)
port=18183
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating and loading $entries entries..."
"$bin" generate --entries "$entries" --seed 21 --out "$work/entries.ndjson" 2>/dev/null
"$bin" load "$work/entries.ndjson" --data "$work/data" >/dev/null 2>&1
token=$("$bin" token add --data "$work/data" --role checker 2>/dev/null)

# Half listed subjects, half valid keys of nobody (from another seed), shuffled together.
grep -o '"uscc":"[0-9A-Z]*"' "$work/entries.ndjson" | cut -d'"' -f4 | head -500000 > "$work/hits"
"$bin" generate --entries 1000000 --seed 777 --out "$work/other.ndjson" 2>/dev/null
grep -o '"uscc":"[0-9A-Z]*"' "$work/other.ndjson" | cut -d'"' -f4 | head -500000 > "$work/others"
echo "writing $rows rows..."
{
  echo "统一社会信用代码"
  paste -d'\n' "$work/hits" "$work/others" | grep -v '^$' | awk -v n="$rows" '{ a[NR] = $0 } END { for (i = 0; i < n; ++i) print a[i % NR + 1] }'
} > "$work/rows.csv"
ls -l "$work/rows.csv" | awk '{ printf "body: %.0f MB\n", $5 / 1e6 }'

"$bin" serve --data "$work/data" --listen 127.0.0.1:$port > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/serve.log" && break; sleep 0.1; done
rss() { awk '/VmRSS/ { print $2 / 1024 " MB" }' /proc/$serve_pid/status; }
echo "server RSS before: $(rss)"
start=$(date +%s.%N)
curl -s -N -X POST "http://127.0.0.1:$port/v1/screen" -H "Authorization: Bearer $token" \
  -H 'Content-Type: text/csv' --data-binary @"$work/rows.csv" > "$work/out.ndjson"
end=$(date +%s.%N)
echo "server RSS after:  $(rss) (peak $(awk '/VmHWM/ { print $2 / 1024 " MB" }' /proc/$serve_pid/status))"
tail -1 "$work/out.ndjson"
awk -v s="$start" -v e="$end" -v n="$rows" 'BEGIN { printf "%d rows in %.2f s: %.2f M rows/s\n", n, e - s, n / (e - s) / 1e6 }'
