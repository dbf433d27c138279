#!/usr/bin/env bash
# The teacher results: a small Llama-architecture decoder trained from scratch on this CPU
# (no pretrained LLM can be downloaded here), with and without continued pre-training on clicks
# simulated over the DL19 training queries, fine-tuned as a ranker on DL19 labels, scoring the
# DL20 BM25 top 100. Every number in docs/RESULTS.md is written by the command shown beside it.
# About 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/results
t=runs/teacher
mkdir -p "$out" "$t"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

$d teacher init --size small --seed 42 -o "$t/init"
$d teacher clicks --dataset "$data/trec-dl/dl19" --seed 42 -o "$t/dl19.clicks.jsonl"
$d teacher cpt --model "$t/init" --clicks "$t/dl19.clicks.jsonl" --out "$t/cpt" --steps 300 \
  --batch 8 --lr 1e-3 --record docs/RESULTS.md --record-name teacher-cpt
for base in init cpt; do
  src="$t/$base"; [ "$base" = cpt ] && src="$t/cpt/model"
  $d teacher sft --dataset "$data/trec-dl/dl19" --model "$src" --out "$t/sft-from-$base" \
    --steps 300 --batch 8 --lr 3e-4
  $d teacher score --dataset "$data/trec-dl/dl20" --model "$t/sft-from-$base/model" -k 100 \
    -o "$t/dl20.sft-from-$base.tsv" --trec-run "$out/dl20.teacher-$base.run"
done
$d data export-run --dataset "$data/trec-dl/dl20" -o "$out/dl20.bm25.run"
$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.teacher-cpt.run" \
  --run "$out/dl20.teacher-init.run" --baseline "$out/dl20.bm25.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-teacher \
  --title "TREC DL 20: from-scratch decoder teacher, SFT on DL19 labels, with and without CPT"

$d bench teacher --dataset "$data/trec-dl/dl19" --size small --record docs/BENCHMARKS.md \
  --record-name bench-teacher
