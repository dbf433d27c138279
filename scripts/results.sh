#!/usr/bin/env bash
# Regenerates the generated sections of docs/RESULTS.md. Every number there is written by the
# disranker command shown beside it; this script only runs those commands in order.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/results
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

# The whole pipeline as it stands (first stage on every collection).
$d pipeline --data "$data" --out runs/pipeline --results docs/RESULTS.md --stages first-stage

# TREC DL: the BM25 run shipped in candidates.tsv, against the published trec_eval values.
for y in dl19 dl20; do
  $d data export-run --dataset "$data/trec-dl/$y" -o "$out/$y.bm25.run"
  $d eval --dataset "$data/trec-dl/$y" --run "$out/$y.bm25.run" -m ndcg@10,ndcg@5,map,mrr@10,pnr \
    --record docs/RESULTS.md --record-name "$y-bm25" --title "TREC DL ${y#dl}: BM25 (Anserini run)"
done

# Cranfield: Lucene BM25 retrieved here.
$d bm25 index --dataset "$data/cranfield" --index "$out/cranfield.index"
$d bm25 search --dataset "$data/cranfield" --index "$out/cranfield.index" -k 1000 \
  -o "$out/cranfield.bm25.run"
$d eval --dataset "$data/cranfield" --run "$out/cranfield.bm25.run" -m ndcg@10,ndcg@5,map,pnr \
  --record docs/RESULTS.md --record-name cranfield-bm25 --title "Cranfield: Lucene BM25"

# DL20: zero-shot LLM rerankings of the BM25 top 100 (evaluation rows only), against BM25.
# Their score column is not an LLM score, so they are evaluated in rank order.
for llm in gpt-3.5-turbo vicuna_7b; do
  run=$(ls "$data"/trec-dl/llm-runs/BM25__*"$llm"*dl20*.txt)
  ln -sf "$(cd "$(dirname "$run")" && pwd)/$(basename "$run")" "$out/dl20.$llm.run"  # a link, not a copy
  $d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.$llm.run" --baseline "$out/dl20.bm25.run" \
    --order rank -m ndcg@10,ndcg@5,pnr --record docs/RESULTS.md --record-name "dl20-$llm" \
    --title "TREC DL 20: zero-shot LLM reranker ($llm) against BM25"
done
