#!/usr/bin/env bash
# The rerank service under load, for docs/BENCHMARKS.md (issue 12): `disranker serve` with a
# student's int8 model, loaded from outside the JVM by wrk (Debian package wrk) at concurrency 1,
# 4 and 16 with 20 and 100 real DL20 passages per request (BM25 top k), against the offline
# scorer's pairs/s on the same pairs (`disranker bench serving --variants int8 -k K`). A hey run
# (Debian package hey) cross-checks one setting. About 8 minutes.
#   scripts/serving-load.sh [STUDENT_DIR]        (default runs/pipeline/final)
# Environment: SECONDS_PER_RUN (default 20), PORT (18080), MAX_BATCH, WINDOW, MAX_WAIT_MS (serve's
# options), BLOCK (the docs/BENCHMARKS.md section to write, default serving-load).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
st="${1:-runs/pipeline/final}"
secs="${SECONDS_PER_RUN:-20}"
port="${PORT:-18080}"
d=./disranker
for tool in wrk hey curl; do
  command -v $tool > /dev/null || { echo "needs $tool (apt-get install -y wrk hey curl)" >&2; exit 2; }
done
[ -f "$st/model.int8.onnx" ] || { echo "no $st/model.int8.onnx: run ./disranker pipeline first" >&2; exit 2; }
$d --version > /dev/null   # builds the jar once if the sources are newer
export DISRANKER_NO_BUILD=1
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill -TERM "$server" 2> /dev/null; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

declare -A offline
for k in 20 100; do
  $d loadtest --dataset "$data/trec-dl/dl20" --docs $k --bodies-out "$work/bodies-$k.jsonl"
  offline[$k]=$($d bench serving --dataset "$data/trec-dl/dl20" --model "$st" -k $k \
    --variants int8 2>&1 | sed -n 's/^int8: \([0-9.]*\) pairs\/s.*/\1/p')
done

$d serve --model "$st" --onnx "$st/model.int8.onnx" --port "$port" \
  ${MAX_BATCH:+--max-batch $MAX_BATCH} ${WINDOW:+--window $WINDOW} \
  ${MAX_WAIT_MS:+--max-wait-ms $MAX_WAIT_MS} \
  > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.5; done
url="http://127.0.0.1:$port/rerank"
# warm-up: ONNX Runtime's first runs are slow
wrk -t1 -c4 -d5s -s scripts/wrk-rerank.lua "$url" -- "$work/bodies-20.jsonl" > /dev/null

scored() { curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "disranker_pairs_scored_total" { print $2 }'; }
table="| generator | clients | docs/request | requests | non-2xx | errors | answered pairs/s | scored pairs/s | offline pairs/s | scored/offline | p50 ms | p95 ms | p99 ms |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for k in 20 100; do
  for c in 1 4 16; do
    before=$(scored)
    line=$(wrk -t1 -c$c -d${secs}s --timeout 60s -s scripts/wrk-rerank.lua "$url" -- \
      "$work/bodies-$k.jsonl" | grep '^WRK')
    after=$(scored)
    read -r _ n bad err s p50 p95 p99 <<< "$line"
    row=$(awk -v n="$n" -v bad="$bad" -v err="$err" -v s="$s" -v k="$k" -v c="$c" \
      -v sc=$((after - before)) -v off="${offline[$k]}" -v p50="$p50" -v p95="$p95" \
      -v p99="$p99" 'BEGIN {
        r = (n - bad) * k / s; q = sc / s;
        printf "| wrk | %d | %d | %d | %d | %d | %.1f | %.1f | %.1f | %.0f%% | %.0f | %.0f | %.0f |", c, k, n, bad, err, r, q, off, 100 * q / off, p50, p95, p99 }')
    # let the requests wrk left in flight finish before the next run
    for _ in $(seq 120); do
      q=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "disranker_queue_pairs" { print $2 }')
      [ "$q" = 0 ] && break; sleep 0.5
    done
    echo "$row" >&2
    table+=$'\n'"$row"
  done
done
# hey cross-check: one body (the first DL20 query, 20 passages), 16 clients
head -1 "$work/bodies-20.jsonl" > "$work/one.json"
before=$(scored)
hey -z ${secs}s -t 60 -c 16 -m POST -T application/json -D "$work/one.json" "$url" > "$work/hey.txt"
after=$(scored)
cp "$work/hey.txt" runs/serving-load-hey.txt
hrow=$(awk -v off="${offline[20]}" -v sc=$((after - before)) -v s="$secs" '
  /Requests\/sec:/ { rps = $2 }
  /50% in/ { p50 = $3 * 1000 } /95% in/ { p95 = $3 * 1000 } /99% in/ { p99 = $3 * 1000 }
  /^  \[200\]/ { ok = $2 }
  END { r = rps * 20; q = sc / s; printf "| hey (one body) | 16 | 20 | %d | n/a | n/a | %.1f | %.1f | %.1f | %.0f%% | %.0f | %.0f | %.0f |", ok, r, q, off, 100 * q / off, p50, p95, p99 }' "$work/hey.txt")
echo "$hrow" >&2
table+=$'\n'"$hrow"
metrics=$(curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^disranker_batch_size_(sum|count)' | awk '{ v[$1] = $2 } END { printf "%.1f", v["disranker_batch_size_sum"] / v["disranker_batch_size_count"] }')

block="Measured $(date -u +%F) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, by:

\`\`\`
scripts/serving-load.sh $st   # SECONDS_PER_RUN=$secs${MAX_BATCH:+ MAX_BATCH=$MAX_BATCH}${WINDOW:+ WINDOW=$WINDOW}${MAX_WAIT_MS:+ MAX_WAIT_MS=$MAX_WAIT_MS}
\`\`\`

$table

Answered pairs/s counts the requests the generator got back; scored pairs/s is the server's
\`disranker_pairs_scored_total\` over the same seconds, which also counts the requests still in
flight when the generator stops (at 16 clients of 100 documents that is 1,600 pairs). Mean scored
batch over the whole run: $metrics pairs. Offline: \`disranker bench serving --variants int8 -k K\`
on the same DL20 pairs (all of a top k, length-sorted together), 2 ONNX Runtime threads."
echo "$block"
scripts/md-block.py docs/BENCHMARKS.md "${BLOCK:-serving-load}" "$block"
