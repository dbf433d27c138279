#!/usr/bin/env bash
# The paper's Table 3 on public data: the distillation loss ablation (Point-MSE, Margin-MSE,
# hybrid) with RankVicuna-7B's DL19 rankings as teacher, evaluated on DL20 against the
# label-fine-tuned student. Runs after scripts/distill-results.sh (which makes the hybrid row).
# About 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/results
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

teacher=$(ls "$data"/trec-dl/llm-runs/BM25__*vicuna*dl19*.txt)
for loss in point margin; do
  ds=runs/distill/dl19-rankvicuna-$loss
  $d distill --dataset "$data/trec-dl/dl19" --teacher-run "$teacher" --rank-map linear \
    --loss $loss --beta 0.4 --steps 300 --batch 8 --out "$ds"
  $d student export --model "$ds/model" -o "$ds/export"
  $d rerank --dataset "$data/trec-dl/dl20" --model "$ds/export" --onnx "$ds/export/model.onnx" \
    --tag distilled-rankvicuna-$loss -o "$out/dl20.distilled-rankvicuna-$loss.run"
done
$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.distilled-rankvicuna-point.run" \
  --run "$out/dl20.distilled-rankvicuna-margin.run" --run "$out/dl20.distilled-rankvicuna.run" \
  --baseline "$out/dl20.student-ft.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-table3 \
  --title "TREC DL 20, Table 3 analog: distillation losses (point, margin, hybrid) from RankVicuna-7B"
