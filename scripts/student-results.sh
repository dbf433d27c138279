#!/usr/bin/env bash
# The student (issue: BERT cross-encoder) results: fine-tune all-MiniLM-L6-v2 on DL19 labels,
# export it to ONNX (fp32 and int8), rerank the DL20 BM25 top 100, and write the evaluations to
# docs/RESULTS.md and the speed figures to docs/BENCHMARKS.md. Every number is written by the
# disranker command shown beside it. About 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/results
st=runs/student/dl19-margin
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1

$d student finetune --dataset "$data/trec-dl/dl19" --out "$st" --steps 300
$d student export --model "$st/model" -o "$st/export"
$d data export-run --dataset "$data/trec-dl/dl20" -o "$out/dl20.bm25.run"
$d rerank --dataset "$data/trec-dl/dl20" --model "$st/export" --onnx "$st/export/model.onnx" \
  --tag student-ft -o "$out/dl20.student-ft.run"
$d rerank --dataset "$data/trec-dl/dl20" --model "$st/export" --onnx "$st/export/model.int8.onnx" \
  --tag student-ft-int8 -o "$out/dl20.student-ft-int8.run"
$d rerank --dataset "$data/trec-dl/dl20" --model minilm --zero-shot --tag minilm-zero-shot \
  -o "$out/dl20.minilm-zero-shot.run"

$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.student-ft.run" \
  --run "$out/dl20.minilm-zero-shot.run" --baseline "$out/dl20.bm25.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-student \
  --title "TREC DL 20: MiniLM student fine-tuned on DL19 labels, zero-shot MiniLM, BM25 (top 100)"
$d eval --dataset "$data/trec-dl/dl20" --run "$out/dl20.student-ft-int8.run" \
  --baseline "$out/dl20.student-ft.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl20-student-int8 \
  --title "TREC DL 20: int8 ONNX student against its fp32 original"
# How well the student fits its own training queries (DL19), for the discussion in RESULTS.md.
$d data export-run --dataset "$data/trec-dl/dl19" -o "$out/dl19.bm25.run"
$d rerank --dataset "$data/trec-dl/dl19" --model "$st/export" --onnx "$st/export/model.onnx" \
  --tag student-ft -o "$out/dl19.student-ft.run"
$d eval --dataset "$data/trec-dl/dl19" --run "$out/dl19.student-ft.run" \
  --baseline "$out/dl19.bm25.run" -m ndcg@10,ndcg@5,pnr,judged@10 \
  --record docs/RESULTS.md --record-name dl19-student-train-fit \
  --title "TREC DL 19 (the student's own training queries): fine-tuned student against BM25"
$d diff-runs "$out/dl20.student-ft-int8.run" "$out/dl20.student-ft.run" \
  --record docs/RESULTS.md --record-name dl20-student-int8-scores

$d bench student --dataset "$data/trec-dl/dl19" --record docs/BENCHMARKS.md \
  --record-name bench-student
