#!/usr/bin/env bash
# The documented cluster path on a real Spark standalone cluster on loopback (issue 13): a master
# and two workers (1 core each, bounded memory) as separate JVMs on 127.0.0.1, the scoring job
# submitted through SparkSubmit with the application jar, --jars from spark/target/job-lib and
# the student shipped with --archives; the DL20 BM25 top 100 scored with the int8 student and
# compared with `disranker rerank` of the same pairs.
#
#   scripts/spark-standalone.sh [--kill-worker] [--kill-driver] [--workers N] [--student DIR]
#
#   --kill-worker  SIGKILL worker 1 and its executor once part of the output is committed; the
#                  job must finish on the other worker
#   --kill-driver  SIGKILL the driver midway, then rerun into the same output: without
#                  --overwrite it must refuse, with it the result must be complete
#   --workers N    1 or 2 (default 2)
#
# Everything it starts is stopped by PID on success, failure or Ctrl-C. Logs and outputs stay in
# runs/spark-standalone/. The last line states pairs in, scores out, and max |delta| to rerank.
set -euo pipefail
args="$*"
cd "$(dirname "$0")/.."
root=$PWD
data="${DISRANKER_DATA:-../shared/data}"
student=runs/pipeline/final
kill_worker=0
kill_driver=0
workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --kill-worker) kill_worker=1 ;;
    --kill-driver) kill_driver=1 ;;
    --workers) workers="$2"; shift ;;
    --student) student="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$workers" = 1 ] || [ "$workers" = 2 ] || { echo "--workers is 1 or 2" >&2; exit 2; }
[ -f "$student/model.int8.onnx" ] || { echo "no $student/model.int8.onnx: run ./disranker pipeline first" >&2; exit 2; }
command -v python3 > /dev/null || { echo "needs python3 (to compare the outputs)" >&2; exit 2; }

./disranker --version > /dev/null   # builds the jars once if the sources are newer
export DISRANKER_NO_BUILD=1
work=$root/runs/spark-standalone
rm -rf "$work"
mkdir -p "$work"
log() { echo "[$(date +%T)] $*" >&2; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do
    pkill -9 -P "$p" 2> /dev/null || true   # a worker's executors
    kill -9 "$p" 2> /dev/null || true
  done
  wait 2> /dev/null || true
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# A Spark home for the daemons and the executors they launch: Spark's own jars (the class path
# of the CLI without this project's jars and without what the job ships itself in job-lib).
home=$work/spark-home
mkdir -p "$home/jars"
touch "$home/RELEASE"
for j in cli/target/lib/*.jar; do
  b=$(basename "$j")
  case "$b" in disranker-*) continue ;; esac
  [ -e "spark/target/job-lib/$b" ] && continue
  ln -s "$root/$j" "$home/jars/$b"
done
export SPARK_HOME=$home SPARK_SCALA_VERSION=2.13
opens=$(sed -n 's:.*<spark.opens>\(.*\)</spark.opens>.*:\1:p' pom.xml)
java_cp=("java" $opens -cp "$home/jars/*")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mport=$(free_port)
mui=$(free_port)
url="spark://127.0.0.1:$mport"

log "master on $url"
"${java_cp[@]}" -Xmx256m org.apache.spark.deploy.master.Master --host 127.0.0.1 \
  --port "$mport" --webui-port "$mui" > "$work/master.log" 2>&1 &
pids+=($!)
disown $!
wpids=()
for i in $(seq "$workers"); do
  "${java_cp[@]}" -Xmx256m org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 \
    --memory 1536m --work-dir "$work/worker$i" --webui-port "$(free_port)" "$url" \
    > "$work/worker$i.log" 2>&1 &
  pids+=($!)
  wpids+=($!)
  disown $!
done
alive() { curl -sf "http://127.0.0.1:$mui/json/" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("aliveworkers", 0))' 2> /dev/null || echo 0; }
for _ in $(seq 120); do [ "$(alive)" = "$workers" ] && break; sleep 0.5; done
[ "$(alive)" = "$workers" ] || { log "the workers did not register; see $work/*.log"; exit 1; }
log "$workers workers registered (1 core, 1536 MiB each)"

log "the pool: DL20 BM25 top 100, and its scores from disranker rerank (int8, one machine)"
./disranker data pairs --dataset "$data/trec-dl/dl20" -k 100 -o "$work/dl20-top100.jsonl" 2> "$work/pairs.log"
./disranker rerank --dataset "$data/trec-dl/dl20" -k 100 --model "$student" \
  --onnx "$student/model.int8.onnx" --batch 32 --per-query -o "$work/rerank.run" 2> "$work/rerank.log"
tar -czf "$work/student.tgz" -C "$student" .

out=$work/scores.jsonl
submit() {   # extra arguments go to the job
  "${java_cp[@]}" -Xmx1g org.apache.spark.deploy.SparkSubmit --master "$url" --deploy-mode client \
    --class org.disranker.spark.ScorePoolCommand \
    --jars "$(ls "$root"/spark/target/job-lib/*.jar | paste -sd,)" \
    --archives "$work/student.tgz#student" \
    --conf spark.executor.cores=1 --conf spark.executor.memory=1g \
    --conf spark.task.maxFailures=8 \
    --conf spark.executor.extraJavaOptions=-Dai.djl.offline=true \
    "$root/spark/target/disranker-spark.jar" \
    --input "$work/dl20-top100.jsonl" --output "$out" --model student --onnx model.int8.onnx \
    --batch 32 --partitions 27 "$@"
}
committed() { find "$out/_temporary" -maxdepth 3 -name 'task_*' 2> /dev/null | wc -l; }

t0=$(date +%s.%N)
if [ "$kill_driver" = 1 ]; then
  submit > "$work/driver-killed.log" 2>&1 &
  driver=$!
  pids+=($driver)
  for _ in $(seq 600); do [ "$(committed)" -ge 1 ] && break; sleep 0.2; done
  log "killing the driver (pid $driver) with $(committed) tasks committed"
  kill -9 "$driver"
  wait "$driver" 2> /dev/null || true
  if submit > "$work/rerun.log" 2>&1; then
    log "a rerun into the half-written output did not refuse"; exit 1
  fi
  grep -q -i "exists" "$work/rerun.log" || { log "the rerun failed without saying the output exists:"; tail -5 "$work/rerun.log" >&2; exit 1; }
  log "the rerun without --overwrite refused: $(grep -i -m1 exists "$work/rerun.log" | cut -c1-160)"
  t0=$(date +%s.%N)
  submit --overwrite > "$work/driver.log" 2>&1
elif [ "$kill_worker" = 1 ]; then
  submit > "$work/driver.log" 2>&1 &
  driver=$!
  pids+=($driver)
  for _ in $(seq 600); do [ "$(committed)" -ge 3 ] && break; sleep 0.2; done
  victim=${wpids[0]}
  executor=$(pgrep -P "$victim" -f CoarseGrainedExecutorBackend || true)
  [ -n "$executor" ] || { log "worker 1 runs no executor: nothing to kill"; exit 1; }
  log "killing worker 1 (pid $victim) and its executor (pid $executor) with $(committed) tasks committed"
  kill -9 "$executor"
  kill -9 "$victim"
  wait "$driver" || { log "the job failed after the worker was killed; see $work/driver.log"; exit 1; }
else
  submit > "$work/driver.log" 2>&1
fi
t1=$(date +%s.%N)
tr '\r' '\n' < "$work/driver.log" | grep "^scored" >&2 || true

summary=$(python3 - "$work/dl20-top100.jsonl" "$out" "$work/rerank.run" "$t0" "$t1" "$workers" "$kill_worker" "$kill_driver" <<'PY'
import glob, json, sys
pool, out, run, t0, t1, workers, killed, driver_killed = sys.argv[1:]
pairs = set()
for line in open(pool):
    o = json.loads(line)
    pairs.add((o["qid"], o["docid"]))
scores, dup = {}, 0
for f in glob.glob(out + "/part-*"):
    for line in open(f):
        o = json.loads(line)
        k = (o["qid"], o["docid"])
        dup += k in scores
        scores[k] = o["score"]
ref = {}
for line in open(run):
    q, _, d, _, s, _ = line.split()
    ref[(q, d)] = float(s)
missing = len(pairs - scores.keys())
extra = len(scores.keys() - pairs)
common = scores.keys() & ref.keys()
delta = max((abs(scores[k] - ref[k]) for k in common), default=float("inf"))
ok = dup == 0 and missing == 0 and extra == 0 and len(common) == len(pairs) and delta <= 1e-5
secs = float(t1) - float(t0)
print(f"{'PASS' if ok else 'FAIL'}: {len(pairs)} pairs in, {sum(1 for _ in scores)} scores out"
      f" ({dup} duplicates, {missing} missing, {extra} unknown), "
      f"{'equal to' if delta <= 1e-5 else 'NOT equal to'} disranker rerank: max |delta score|"
      f" {delta:.2e} over {len(common)} pairs; {workers} worker(s)"
      f"{', worker 1 killed mid-job' if killed == '1' else ''}"
      f"{', driver killed, the rerun refused, then --overwrite' if driver_killed == '1' else ''}"
      f"; job {secs:.1f} s ({len(pairs) / secs:.1f} pairs/s, from submit to exit)")
sys.exit(0 if ok else 1)
PY
) || { echo "$summary"; exit 1; }
mode="$workers-worker"
[ "$kill_worker" = 1 ] && mode="$mode-kill-worker"
[ "$kill_driver" = 1 ] && mode="$mode-kill-driver"
scored=$(tr '\r' '\n' < "$work/driver.log" | grep "^scored" | tail -1)
cost=
if [ "$kill_worker$kill_driver" = 00 ]; then
  cost=$(echo "$scored" | sed -n 's/.*s: \([0-9.]*\) pairs\/s.*/\1/p' | awk -v w="$workers" '{
    c = $1 / w; printf "cost model from this cluster figure: %.1f pairs/s per worker core -> %.0f core-hours for the paper'"'"'s 46,800,000 pairs (%.1f hours on 100 executor cores)", c, 46.8e6 / c / 3600, 46.8e6 / c / 3600 / 100 }')
fi
scripts/md-block.py docs/BENCHMARKS.md "spark-standalone-$mode" "Measured $(date -u +%F) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, by \`scripts/spark-standalone.sh${args:+ $args}\`:

- job: $scored
- $summary${cost:+
- $cost}"
echo "$summary"
