#!/usr/bin/env bash
# The paper's Table 2 on public data (DL20): BM25, the label-fine-tuned student, zero-shot MiniLM,
# the teacher without and with CPT, a RankLLaMA-style (listwise) teacher, the distilled students,
# and the zero-shot LLM rerankers of ../shared/data/trec-dl/llm-runs as evaluation rows. Runs
# after `./disranker pipeline` (whose stages make most rows); it adds the listwise teacher, trained
# like the pipeline's teacher but with the listwise loss, from the pipeline's CPT model.
# About 4 minutes on 2 cores after the pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
dl19="$data/trec-dl/dl19"
dl20="$data/trec-dl/dl20"
p=runs/pipeline
out=runs/table2
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package
export DISRANKER_NO_BUILD=1
[ -f "$p/teacher/cpt/manifest.json" ] || { echo "run ./disranker pipeline first" >&2; exit 1; }

# RankLLaMA-style teacher: listwise softmax over one positive and three negatives
$d teacher sft --dataset "$dl19" --model "$p/teacher/cpt/model" --loss listwise --steps 80 \
  --batch 4 --lr 1e-3 --max-length 128 --out "$out/teacher-listwise"
$d teacher score --dataset "$dl20" --model "$out/teacher-listwise/model" --max-length 128 \
  -o "$out/dl20.teacher-listwise.tsv" --trec-run "$out/dl20.teacher-listwise.run"

llm="$data/trec-dl/llm-runs"
$d eval --dataset "$dl20" --order rank \
  --run "BM25=$p/rerank/dl20/bm25.run" \
  --run "MiniLM zero-shot=$p/rerank/dl20/minilm-zero-shot.run" \
  --run "teacher without CPT=$p/teacher/score-without-cpt/test.run" \
  --run "teacher with CPT=$p/teacher/score/test.run" \
  --run "teacher, RankLLaMA-style listwise SFT=$out/dl20.teacher-listwise.run" \
  --run "student distilled from the teacher=$p/rerank/dl20/distilled-teacher.run" \
  --run "student distilled from RankVicuna's DL19 order=$p/rerank/dl20/distilled.run" \
  --run "RankVicuna-7B (zero-shot LLM)=$(ls "$llm"/BM25__output_v2_aug_vicuna_7b*dl20*.txt)" \
  --run "GPT-3.5 (zero-shot LLM)=$(ls "$llm"/BM25__gpt-3.5-turbo*dl20*.txt)" \
  --baseline "student fine-tuned on DL19 labels (int8)=$p/rerank/dl20/finetuned.run" \
  -m ndcg@10,ndcg@5,pnr,judged@10 --record docs/RESULTS.md --record-name dl20-table2 \
  --title "TREC DL 20, Table 2 analog: baselines, teachers, distilled students and zero-shot LLM rerankers against the label-fine-tuned student"
