#!/usr/bin/env bash
# The paper's Table 3 with a scored teacher, evaluated on DL20 against the student fine-tuned on
# DL19's labels: MiniLM distilled with Point-MSE, Margin-MSE, the hybrid loss (beta 0.4, and a
# beta sweep) and the listwise loss from the same teacher scores: e5-small-v2 over the pool of
# `./disranker pipeline --config config/full.json` (1,800 MS MARCO dev queries x Lucene BM25 top
# 20 over the DL19 + DL22 passages, DL20 kept out). Every student starts from MiniLM with the
# same budget (STEPS steps of 4 queries x 8 documents, max length 96, lr 1e-4, head lr 2e-3);
# nothing is chosen on DL20. Needs the full pipeline's run directory first (FULL, default
# runs/full). About 5 minutes a row on 2 cores
# (int8 students, as served).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
dl20="$data/trec-dl/dl20"
full="${FULL:-runs/full}"   # the run directory of the full pipeline
out=runs/table3
steps="${STEPS:-120}"
for f in "$full/pool/run.txt" "$full/teacher/e5-small/scores.tsv" "$full/rerank/dl20/finetuned.run"; do
  [ -f "$f" ] || { echo "table3: $f missing; run ./disranker pipeline --config config/full.json --out runs/full first" >&2; exit 1; }
done
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

row() { # name loss beta
  local dir="$out/$1"
  $d distill --dataset "$full/pool" --teacher-scores "$full/teacher/e5-small/scores.tsv" \
    --normalize zscore --loss "$2" --beta "$3" --steps "$steps" --batch 4 --group 8 --lr 1e-4 \
    --head-lr 2e-3 --max-length 96 --out "$dir"
  [ -f "$dir/export/model.onnx" ] || $d student export --model "$dir/model" -o "$dir/export"
  [ -f "$out/dl20.$1.run" ] || $d rerank --dataset "$dl20" --model "$dir/export" \
    --onnx "$dir/export/model.int8.onnx" --tag "$1" -o "$out/dl20.$1.run"
}
row listwise listwise 0.4
row hybrid-0.4 hybrid 0.4
row margin margin 0.4
row point point 0.4
row hybrid-0.1 hybrid 0.1
row hybrid-1.0 hybrid 1.0

$d eval --dataset "$dl20" \
  --run "Point-MSE=$out/dl20.point.run" \
  --run "Margin-MSE=$out/dl20.margin.run" \
  --run "hybrid, beta 0.1=$out/dl20.hybrid-0.1.run" \
  --run "hybrid, beta 0.4 (the paper's)=$out/dl20.hybrid-0.4.run" \
  --run "hybrid, beta 1.0=$out/dl20.hybrid-1.0.run" \
  --run "listwise (softmax cross-entropy)=$out/dl20.listwise.run" \
  --run "the teacher, e5-small-v2 zero-shot=$full/rerank/dl20/e5-small-zero-shot.run" \
  --baseline "MiniLM fine-tuned on DL19 labels=$full/rerank/dl20/finetuned.run" \
  -m ndcg@10,ndcg@5,pnr,judged@10 --record docs/RESULTS.md --record-name dl20-table3 \
  --title "TREC DL 20, Table 3 with a scored teacher: distillation losses from e5-small-v2's scores over the 1,800-query pool, $steps steps each"
