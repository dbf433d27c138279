#!/usr/bin/env bash
# Speed of the decoder teacher on this machine: CPT and SFT tokens/s and pool scoring pairs/s of
# the pipeline-sized (`small`) decoder, written to docs/BENCHMARKS.md. The teacher's quality
# figures come from the pipeline (`./disranker pipeline --results docs/RESULTS.md`) and
# scripts/table2.sh. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DISRANKER_DATA:-../shared/data}"
d=./disranker
mvn -q -B -Dstyle.color=never -DskipTests package   # build once; the command below uses this jar
export DISRANKER_NO_BUILD=1

$d bench teacher --dataset "$data/trec-dl/dl19" --size small --record docs/BENCHMARKS.md \
  --record-name bench-teacher
