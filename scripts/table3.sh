#!/usr/bin/env bash
# The paper's Table 3 on public data, evaluated on DL20 against the student fine-tuned on DL19's
# labels: distillation with Point-MSE, Margin-MSE and the hybrid loss from RankVicuna-7B's DL19
# rankings (a real LLM teacher, ranks mapped linearly onto scores), and distillation from a
# 12-layer BERT teacher (bge-small-en-v1.5 fine-tuned on DL19's labels, scoring DL19's BM25 top
# 100) instead of the LLM; and GPT-3.5's DL19 reranking as a second LLM teacher. Every student
# starts from MiniLM; nothing is trained on DL20. About 50 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
dl19="$data/trec-dl/dl19"
dl20="$data/trec-dl/dl20"
out=runs/table3
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1
steps=200

# export a trained student and rerank DL20's BM25 top 100 with it
rerank_dl20() {
  $d student export --model "$1/model" -o "$1/export"
  $d rerank --dataset "$dl20" --model "$1/export" --onnx "$1/export/model.onnx" --tag "$2" \
    -o "$out/dl20.$2.run"
}

# the baseline: MiniLM fine-tuned on DL19's labels (pairwise margin loss)
$d student finetune --dataset "$dl19" --steps $steps --batch 8 --out "$out/finetuned"
rerank_dl20 "$out/finetuned" finetuned

# the LLM teacher: RankVicuna-7B's reranking of DL19's BM25 top 100
rankvicuna=$(ls "$data"/trec-dl/llm-runs/BM25__*vicuna*dl19*.txt)
for loss in point margin hybrid; do
  $d distill --dataset "$dl19" --teacher-run "$rankvicuna" --rank-map linear --loss $loss \
    --beta 0.4 --steps $steps --batch 8 --out "$out/rankvicuna-$loss"
  rerank_dl20 "$out/rankvicuna-$loss" "rankvicuna-$loss"
done

# the other LLM teacher: GPT-3.5's reranking of the same top 100, margin-only and hybrid
gpt=$(ls "$data"/trec-dl/llm-runs/BM25__gpt-3.5-turbo*dl19*.txt)
for loss in margin hybrid; do
  $d distill --dataset "$dl19" --teacher-run "$gpt" --rank-map linear --loss $loss \
    --beta 0.4 --steps $steps --batch 8 --out "$out/gpt35-$loss"
  rerank_dl20 "$out/gpt35-$loss" "gpt35-$loss"
done

# the 12-layer BERT teacher: bge-small-en-v1.5 fine-tuned on DL19's labels, its scores distilled
$d student finetune --dataset "$dl19" --init bge-small --steps 150 --batch 8 --out "$out/bert12"
$d student export --model "$out/bert12/model" -o "$out/bert12/export"
$d rerank --dataset "$dl19" --model "$out/bert12/export" --onnx "$out/bert12/export/model.onnx" \
  --tag bert12-teacher -o "$out/dl19.bert12-teacher.run"
$d rerank --dataset "$dl20" --model "$out/bert12/export" --onnx "$out/bert12/export/model.onnx" \
  --tag bert12-teacher -o "$out/dl20.bert12-teacher.run"
$d distill --dataset "$dl19" --teacher-run "$out/dl19.bert12-teacher.run" --rank-map score \
  --normalize zscore --loss hybrid --beta 0.4 --steps $steps --batch 8 --out "$out/bert12-hybrid"
rerank_dl20 "$out/bert12-hybrid" bert12-hybrid

$d eval --dataset "$dl20" \
  --run "distilled from RankVicuna, Point-MSE=$out/dl20.rankvicuna-point.run" \
  --run "distilled from RankVicuna, Margin-MSE=$out/dl20.rankvicuna-margin.run" \
  --run "distilled from RankVicuna, hybrid=$out/dl20.rankvicuna-hybrid.run" \
  --run "distilled from GPT-3.5, Margin-MSE=$out/dl20.gpt35-margin.run" \
  --run "distilled from GPT-3.5, hybrid=$out/dl20.gpt35-hybrid.run" \
  --run "distilled from the 12-layer BERT teacher, hybrid=$out/dl20.bert12-hybrid.run" \
  --run "the 12-layer BERT teacher itself=$out/dl20.bert12-teacher.run" \
  --baseline "MiniLM fine-tuned on DL19 labels=$out/dl20.finetuned.run" \
  -m ndcg@10,ndcg@5,pnr,judged@10 --record docs/RESULTS.md --record-name dl20-table3 \
  --title "TREC DL 20, Table 3 analog: distillation losses from RankVicuna-7B and GPT-3.5, and a 12-layer BERT teacher instead of the LLM"
