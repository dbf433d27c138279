#!/usr/bin/env bash
# Out-of-domain quality, the BEIR way (Thakur et al. 2021): Lucene BM25 top 100 on Cranfield and
# on NFCorpus (test queries), reranked by zero-shot MiniLM, by the e5-small-int8 teacher and by
# the default pipeline's final student (int8, through the Lucene rescorer: bm25 search --rerank).
# nDCG@10 with ΔGSB and p-values against BM25 and against zero-shot MiniLM, written to
# docs/RESULTS.md by disranker eval. Needs runs/pipeline/final (./disranker pipeline). About 40
# minutes on 2 cores, nearly all of it the student reading 256-token abstracts.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
model="${1:-runs/pipeline/final}"
out=runs/beir
mkdir -p "$out"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the commands below use this jar
export DISRANKER_NO_BUILD=1
for ds in cranfield nfcorpus; do
  $d bm25 index --dataset "$data/$ds" --index "$out/$ds.idx"
  $d bm25 search --dataset "$data/$ds" --index "$out/$ds.idx" -k 100 --tag bm25 \
    -o "$out/$ds.bm25.run"
  $d rerank --dataset "$data/$ds" --run "$out/$ds.bm25.run" --model minilm --zero-shot \
    --tag minilm-zero-shot -o "$out/$ds.minilm.run"
  $d rerank --dataset "$data/$ds" --run "$out/$ds.bm25.run" --model e5-small-int8 --zero-shot \
    --tag e5-small-int8 -o "$out/$ds.e5.run"
  $d bm25 search --dataset "$data/$ds" --index "$out/$ds.idx" -k 100 --rerank "$model" \
    --tag student-int8 -o "$out/$ds.student.run"
  name=$([ "$ds" = cranfield ] && echo Cranfield || echo "NFCorpus (test)")
  $d eval --dataset "$data/$ds" --run "student (int8)=$out/$ds.student.run" \
    --run "teacher e5-small-int8=$out/$ds.e5.run" --run "zero-shot MiniLM=$out/$ds.minilm.run" \
    --baseline "BM25=$out/$ds.bm25.run" -m ndcg@10,judged@10 --allow-unknown-queries \
    --record docs/RESULTS.md --record-name "beir-$ds-bm25" \
    --title "$name, BM25 top 100 reranked, against BM25 (out of domain)"
  $d eval --dataset "$data/$ds" --run "student (int8)=$out/$ds.student.run" \
    --run "teacher e5-small-int8=$out/$ds.e5.run" \
    --baseline "zero-shot MiniLM=$out/$ds.minilm.run" -m ndcg@10 --allow-unknown-queries \
    --record docs/RESULTS.md --record-name "beir-$ds-minilm" \
    --title "$name, BM25 top 100 reranked, against zero-shot MiniLM"
done
