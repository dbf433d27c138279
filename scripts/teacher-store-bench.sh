#!/usr/bin/env bash
# The teacher stage before and after the embedding store, in one run on one machine, written to
# docs/BENCHMARKS.md. "Before" is the baseline commit's `teacher score` of the pool and then of the
# DL22 lists, two commands as its pipeline ran them (each query's pairs batched together, an
# in-memory cache per command). "After" is this tree's `teacher score --store`: each distinct text
# embedded once, alone, into one store that the lists then share. Both score e5-small-int8 at 192
# tokens. Needs the default pipeline's pool and lists (runs/pipeline); with --full it also builds
# the full recipe's pool (every dev-subset query) and measures that. Default ~8 min, --full ~25.
#
#   scripts/teacher-store-bench.sh [--full] [BASELINE_COMMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
full=0
if [ "${1:-}" = --full ]; then full=1; shift; fi
base="${1:-5a4ad5f}"
data="${DISRANKER_DATA:-../shared/data}"
work="${BENCH_WORK:-/tmp/disranker-teacher-bench}"
mkdir -p "$work"
mvn -q -B -Dstyle.color=never -DskipTests package
wt="$work/baseline-$base"
if [ ! -f "$wt/cli/target/disranker.jar" ]; then
  rm -rf "$wt"
  git worktree add -f --detach "$wt" "$base" >/dev/null
  (cd "$wt" && mvn -q -B -Dstyle.color=never -DskipTests package)
fi
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456
old() { java -Dai.djl.offline=true -jar "$wt/cli/target/disranker.jar" "$@"; }
new() { java -Dai.djl.offline=true -jar "$root/cli/target/disranker.jar" "$@"; }
secs() { local t0; t0=$(date +%s.%N); "$@" >>"$work/log" 2>&1; echo "$(date +%s.%N) - $t0" | bc; }

lists="$work/dl22.pairs"   # the pipeline's DL22 lists: BM25 top 100, DL20's passages kept out
cut -f1,2 runs/pipeline/lists/dl22/e5-small-int8/scores.tsv > "$lists"
pools=(runs/pipeline/pool)
names=(default)
if [ "$full" = 1 ]; then
  if [ ! -f "$work/full-pool/manifest.json" ]; then
    new data pool --queries "$data/msmarco/topics.msmarco-passage.dev-subset.txt" \
      --corpus "$data/trec-dl/dl19" --corpus "$data/trec-dl/dl22" \
      --exclude "$data/trec-dl/dl20" -k 20 --max-queries 0 -o "$work/full-pool" 2>>"$work/log"
  fi
  pools+=("$work/full-pool"); names+=(full)
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
vnni=$(grep -o -m1 -w 'avx512_vnni\|avx_vnni' /proc/cpuinfo | head -1 || true)
rows=""
for i in "${!pools[@]}"; do
  p="${pools[$i]}"; n="${names[$i]}"
  rm -rf "$work/$n-"{old,new}*.tsv* "$work/$n-store"
  a=(--model e5-small-int8 --max-length 192)
  t_op=$(secs old teacher score --dataset "$p" "${a[@]}" -o "$work/$n-old-pool.tsv")
  t_ol=$(secs old teacher score --dataset "$data/trec-dl/dl22" --pairs "$lists" "${a[@]}" \
    -o "$work/$n-old-lists.tsv")
  t_np=$(secs new teacher score --dataset "$p" "${a[@]}" --store "$work/$n-store" \
    -o "$work/$n-new-pool.tsv")
  t_nl=$(secs new teacher score --dataset "$data/trec-dl/dl22" --pairs "$lists" "${a[@]}" \
    --store "$work/$n-store" -o "$work/$n-new-lists.tsv")
  pairs=$(cat "$work/$n-old-pool.tsv" "$work/$n-old-lists.tsv" | wc -l)
  texts=$(( $(stat -c %s "$work/$n-store"/*/vectors.bin) / (16 + 4 * 384) ))
  diff=$(python3 - "$work/$n-old-pool.tsv" "$work/$n-new-pool.tsv" <<'PY'
import sys
a = {tuple(l.split("\t")[:2]): float(l.split("\t")[2]) for l in open(sys.argv[1])}
b = {tuple(l.split("\t")[:2]): float(l.split("\t")[2]) for l in open(sys.argv[2])}
print(f"{max(abs(a[k] - b[k]) for k in a):.4f}")
PY
)
  rows+=$(printf '| %s | %s | %s | %.0f + %.0f = %.0f | %.0f + %.0f = %.0f | %.2fx | %s |' "$n" \
    "$pairs" "$texts" "$t_op" "$t_ol" "$(echo "$t_op + $t_ol" | bc)" "$t_np" "$t_nl" \
    "$(echo "$t_np + $t_nl" | bc)" "$(echo "($t_op + $t_ol) / ($t_np + $t_nl)" | bc -l)" "$diff")
  rows+=$'\n'
done
body="Teacher stage (pool + DL22 lists, e5-small-int8 at 192 tokens) before and after the embedding
store, one run on $(date -u +%Y-%m-%d), $cpu (${vnni:-no VNNI}), 2 cores; written by
\`scripts/teacher-store-bench.sh$( [ "$full" = 1 ] && echo ' --full' || true) $base\`. Before: commit $base's \`teacher score\`, pool
then lists. After: \`teacher score --store\`, one store for both.

| pool | pairs | distinct texts | before, s (pool + lists) | after, s (pool + lists) | speed-up | max abs score change (pool) |
|---|---:|---:|---:|---:|---:|---:|
$rows
The last column is how far a pool score moved: each text is now embedded alone, and e5-small-int8
quantizes its activations per tensor, so before, every text of a batch moved the vectors of the others."
echo "$body"
python3 scripts/md-block.py docs/BENCHMARKS.md teacher-store "$body"
