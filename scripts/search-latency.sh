#!/usr/bin/env bash
# disranker search on the Cranfield index with the final student (int8, BM25 top 100 reranked):
# start-up (JVM aside: opening the index and loading the model) and the search itself, for five
# Cranfield queries, each a fresh process, written to docs/BENCHMARKS.md. Needs the index of
# scripts/beir-results.sh (or builds it) and runs/pipeline/final. About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
model="${1:-runs/pipeline/final}"
shift || true
extra=("$@")   # more options for disranker search, e.g. --max-length 96
block="search-latency$(printf '%s' "${extra[*]:-}" | tr -c 'a-z0-9' '-' | sed 's/^-*/-/; s/-*$//; s/^-$//')"
idx=runs/beir/cranfield.idx
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package
export DISRANKER_NO_BUILD=1
[ -d "$idx" ] || $d bm25 index --dataset "$data/cranfield" --index "$idx"
queries=("what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft"
  "what are the structural and aeroelastic problems associated with flight of high speed aircraft"
  "how can the aerodynamic performance of channel flow ground effect machines be calculated"
  "what is the theoretical heat transfer rate at the stagnation point of a blunt body"
  "boundary layer transition on a flat plate at supersonic speeds")
rows=""
for q in "${queries[@]}"; do
  t0=$(date +%s.%N)
  j=$($d search --index "$idx" --model "$model" --query "$q" -k 10 --candidates 100 --json \
    "${extra[@]}")
  wall=$(echo "$(date +%s.%N) - $t0" | bc)
  rows+=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("| %s | %.2f | %.3f | %.1f |" % (j["query"][:60], j["startupSeconds"], j["searchSeconds"], float(sys.argv[2])))' "$j" "$wall")
  rows+=$'\n'
done
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
body="\`disranker search\` on the Cranfield index (1,400 abstracts) with the default pipeline's
final student, int8, BM25 top 100 reranked, top 10 printed; each query a fresh process. Start-up
is opening the index and loading the model; search is BM25 plus reranking the 100 hits; the whole
command adds the JVM's own start. $(date -u +%Y-%m-%d), $cpu, 2 cores; written by
\`scripts/search-latency.sh $model ${extra[*]:-}\`.

| query | start-up, s | search + rerank, s | whole command, s |
|---|---:|---:|---:|
$rows"
echo "$body"
python3 scripts/md-block.py docs/BENCHMARKS.md "$block" "$body"
