#!/usr/bin/env bash
# The teacher table of docs/RESULTS.md: every teacher the distillation can learn from, as a
# ranker on DL19 and DL20, over the pairs it scores.
# - local zero-shot bi-encoders (they score any pair): the BM25 top 100 reranked by the cosine of
#   all-MiniLM-L6-v2, bge-small-en-v1.5 ([CLS] pooling and its query instruction, and mean pooling
#   for comparison) and e5-small-v2, and the z-scored ensembles of them;
# - the recorded first-stage retrievers with their own scores (their own top 100, RepLLaMA's
#   top 200 on DL19), the real LLM-sized teachers of the data;
# - RankVicuna-7B's listwise reranking of the BM25 top 100 (ranks only, evaluated in rank order).
# About 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
out=runs/teachers
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1
m=ndcg@10,ndcg@5,pnr,judged@10
for y in dl19 dl20; do
  ds="$data/trec-dl/$y"
  # a run already written is kept (rerun the script after a kill and it goes on)
  for t in minilm bge-small e5-small; do
    [ -f "$out/$y.$t.run" ] || $d rerank --dataset "$ds" --model $t --zero-shot --tag $t \
      -o "$out/$y.$t.run"
  done
  [ -f "$out/$y.bge-small-mean.run" ] || $d rerank --dataset "$ds" --model bge-small --zero-shot \
    --pooling mean --tag bge-mean -o "$out/$y.bge-small-mean.run"
  $d teacher ensemble --teacher-run "$out/$y.e5-small.run" --teacher-run "$out/$y.bge-small.run" \
    -o "$out/$y.e5+bge.run"
  $d teacher ensemble --teacher-run "$out/$y.e5-small.run" --teacher-run "$out/$y.bge-small.run" \
    --teacher-run "$out/$y.minilm.run" -o "$out/$y.e5+bge+minilm.run"
  runs=()
  for r in BM25 BM25_RM3 D_BERT_KD_TASB OPEN_AI_ADA2 SPLADE_P_P_ENSEMBLE_DISTIL REP_LLAMA; do
    runs+=(--run "$r (recorded, own top k)=$ds/retriever-runs/$r.txt")
  done
  $d eval --dataset "$ds" -m $m \
    --run "all-MiniLM-L6-v2, mean pooling (BM25 top 100)=$out/$y.minilm.run" \
    --run "bge-small-en-v1.5, [CLS] pooling + instruction (BM25 top 100)=$out/$y.bge-small.run" \
    --run "bge-small-en-v1.5, mean pooling (BM25 top 100)=$out/$y.bge-small-mean.run" \
    --run "e5-small-v2, mean pooling + prefixes (BM25 top 100)=$out/$y.e5-small.run" \
    --run "ensemble e5 + bge, z-scored (BM25 top 100)=$out/$y.e5+bge.run" \
    --run "ensemble e5 + bge + MiniLM, z-scored (BM25 top 100)=$out/$y.e5+bge+minilm.run" \
    "${runs[@]}" --record docs/RESULTS.md --record-name "teachers-$y" \
    --title "TREC DL ${y#dl}: teachers as rankers, over the pairs each scores"
  # the authors' current file (DL19: 2023-09-13T16:36:10; the earlier ones were superseded)
  llm=$(ls "$data"/trec-dl/llm-runs/BM25__output_v2_aug_vicuna_7b_4096_100_*"$y"*.txt | tail -1)
  $d eval --dataset "$ds" -m $m --order rank --run "RankVicuna-7B (BM25 top 100, rank order)=$llm" \
    --record docs/RESULTS.md --record-name "teachers-$y-llm" \
    --title "TREC DL ${y#dl}: RankVicuna-7B, a rank-only LLM teacher"
done
