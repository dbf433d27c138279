#!/usr/bin/env bash
# Distillation with a real LLM as teacher: RankVicuna-7B's reranking of the DL19 BM25 top 100
# (its order only; ranks mapped linearly to scores) distilled into all-MiniLM-L6-v2 with the
# hybrid loss (beta 0.4), then evaluated on DL20 against BM25, the label-fine-tuned student and
# zero-shot MiniLM (runs of scripts/student-results.sh), and RankVicuna's own DL20 reranking
# (an evaluation row only). About 12 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/results
ds=runs/distill/dl19-rankvicuna-hybrid
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

teacher=$(ls "$data"/trec-dl/llm-runs/BM25__*vicuna*dl19*.txt)
$d distill --dataset "$data/trec-dl/dl19" --teacher-run "$teacher" --rank-map linear \
  --loss hybrid --beta 0.4 --steps 300 --batch 8 --out "$ds"
$d student export --model "$ds/model" -o "$ds/export"
$d rerank --dataset "$data/trec-dl/dl20" --model "$ds/export" --onnx "$ds/export/model.onnx" \
  --tag distilled-rankvicuna -o "$out/dl20.distilled-rankvicuna.run"
ln -sf "$(cd "$(dirname "$(ls "$data"/trec-dl/llm-runs/BM25__*vicuna*dl20*.txt)")" && pwd)/$(basename "$(ls "$data"/trec-dl/llm-runs/BM25__*vicuna*dl20*.txt)")" \
  "$out/dl20.rankvicuna.run"   # a link to the shared file, not a copy
$d data export-run --dataset "$data/trec-dl/dl20" -o "$out/dl20.bm25.run"
$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.distilled-rankvicuna.run" \
  --baseline "$out/dl20.student-ft.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-distilled-rankvicuna \
  --title "TREC DL 20: MiniLM distilled from RankVicuna-7B (DL19 rankings) against the label-fine-tuned student"
$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.rankvicuna.run" --order rank \
  --baseline "$out/dl20.bm25.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-rankvicuna-row \
  --title "TREC DL 20: RankVicuna-7B's own reranking (evaluation row only) against BM25"
