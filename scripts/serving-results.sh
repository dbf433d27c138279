#!/usr/bin/env bash
# Serving figures for docs/BENCHMARKS.md: the paper's latency table on this CPU, the DL20 rerank
# workload against a plain ONNX Runtime session, and the HTTP service under load from a separate
# client process on loopback. Needs the student of scripts/student-results.sh. About 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
st=runs/student/dl19-margin/export
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

$d bench latency --dataset "$data/trec-dl/dl19" --record docs/BENCHMARKS.md --record-name latency
$d bench serving --dataset "$data/trec-dl/dl20" --model "$st" --record docs/BENCHMARKS.md \
  --record-name serving-workload

port=18080
$d serve --model "$st" --onnx "$st/model.int8.onnx" --port $port > runs/serve.log 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
$d loadtest --dataset "$data/trec-dl/dl20" --url "http://127.0.0.1:$port/rerank" \
  --concurrency 8 --duration 30 --docs 20 --record docs/BENCHMARKS.md --record-name loadtest
