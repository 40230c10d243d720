#!/usr/bin/env bash
# bench/drain.sh: the three `kbp drain` targets, measured on the bench broker, each with a
# reference measured in the same run. Prints markdown tables with the measured values,
# the ratios and PASS/MISS per target. Results go in docs/benchmarks.md ("kbp drain").
#
#   bash bench/drain.sh
#
# 1. Throughput: 2,000,000 records of 100 bytes over 12 partitions. `kbp drain --until end
#    --sink null` (a fresh group each run, committing) against kcat's raw consume of the same
#    topic (`kcat -C -e -q -o beginning`, to /dev/null), interleaved run by run. Rate =
#    records / wall seconds of the whole process, for both tools. Target: kbp >= 0.9x kcat.
#    A kbp run that is not done after KBP_BENCH_CAP seconds is stopped with SIGINT (kbp
#    finishes in-flight records, commits and exits 0); its rate is then over the records it
#    drained. The null sink completes records on the poll thread; two more kbp rows are
#    diagnostics of the worker path (`--sink file:F --format raw`, writing the values as kcat
#    does, with default and unordered ordering), not the target. CPU
#    (user + system) per record is reported for every row.
# 2. Memory: peak RSS (/usr/bin/time %M) of a drain of a 1,000,000- and a 10,000,000-record
#    backlog (12 partitions, 100-byte records) into a slow sink (`--sink exec:'sleep 0.01'`),
#    each stopped with SIGINT after KBP_BENCH_MEM_SECS. Target: the 10M peak <= 64 MiB and
#    within 10% of the 1M peak. Measured with the default --ordering partition and with
#    --ordering unordered (which keeps all 8 workers busy).
# 3. Parallel efficiency: 6,400 records, `--sink exec:'sleep 0.05' --workers 32 --ordering
#    unordered --until end`. Rate = processed / duration_ms (the JSON summary). Target:
#    >= 0.9 x 640 = 576 records/s. The reference is the machine's ceiling for that sink:
#    the same 6,400 `sh -c 'sleep 0.05'` run 32 at a time by `xargs -P 32`, without Kafka.
# 4. Real sinks against kcat (issue 14), 1,000,000 records of bench-drain-1m, each pair run
#    interleaved, RUNS times, records / wall seconds of the whole process:
#    - `--sink stdout --format raw > /dev/null` vs `kcat -C -e -q -f '%s\n' > /dev/null`:
#      >= 1.0x; JSON lines (`--sink stdout`) vs `kcat -J`: >= 3x;
#    - `--sink file:F --format raw` (fsync before each commit) vs `kcat … -f '%s\n' > F`:
#      >= 1.0x; the same drain with `--ordering partition` (the default) >= 0.9x of
#      `--ordering unordered`;
#    - `--sink topic:DST` (idempotent producer, acks before commits) vs
#      `kcat -C … -f '%s\n' | kcat -P -t DST` (DST a fresh 12-partition topic per run): >= 1.0x;
#    - `--sink pipe:python3 ACKER --format raw` (a child that acknowledges every line it
#      reads at once) vs `--sink exec:true` (a trivial command per record; stopped after
#      KBP_BENCH_EXEC_SECS, run once): >= 50x; and vs `--sink null`: >= 0.5x, with the
#      default 8 workers (8 children) and with `--workers 2` (a child per core here).
#
# Topics (seeded once with Apache's producer-perf-test, idempotently; about 1.4 GB on disk):
#   bench-drain-2m (2,000,000), bench-drain-1m (1,000,000), bench-drain-10m (10,000,000),
#   bench-drain-par (6,400); all 12 partitions, 100-byte values, no keys.
#
# Environment:
#   KBP_BENCH_RUNS=3          timed runs of each throughput and parallel command
#   KBP_BENCH_CAP=30          seconds before a throughput run of kbp is stopped (SIGINT);
#                             a capped configuration is not run again
#   KBP_BENCH_MEM_SECS=20     seconds each memory run drains before SIGINT
#   KBP_BENCH_EXEC_SECS=10    seconds the exec:true run of the sinks comparison drains
#   KBP_BENCH_ONLY=           comma-separated subset of: throughput, memory, parallel, sinks
#   KBP_BENCH_STRICT=0        1: exit 1 when a target is missed
#   KBP_KAFKA_RUN             broker run dir; default <repo>/.cache/kafka/bench (the broker of
#                             bench/lag.sh; the drain groups are deleted on exit, so they do
#                             not add to bench/lag.sh's 1,000 groups)
#
# Needs kcat (installed with apt-get when missing and running as root), python3,
# GNU time (/usr/bin/time), timeout and xargs.
#
# Exit status: non-zero when a build, the broker, seeding or a measured command fails, or
# when a finished drain did not process and commit every record.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
RUNS=${KBP_BENCH_RUNS:-3}
CAP=${KBP_BENCH_CAP:-30}
MEM_SECS=${KBP_BENCH_MEM_SECS:-20}
ONLY=${KBP_BENCH_ONLY:-throughput,memory,parallel,sinks}
EXEC_SECS=${KBP_BENCH_EXEC_SECS:-10}
STRICT=${KBP_BENCH_STRICT:-0}
export KBP_KAFKA_RUN=${KBP_KAFKA_RUN:-$REPO/.cache/kafka/bench}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
PARTITIONS=12
RECORD_BYTES=100
T_TPUT=bench-drain-2m;   N_TPUT=2000000
T_MEM1=bench-drain-1m;   N_MEM1=1000000
T_MEM10=bench-drain-10m; N_MEM10=10000000
T_PAR=bench-drain-par;   N_PAR=6400
PAR_WORKERS=32
PAR_WORK_S=0.05
GROUP_PREFIX=bench-drain-g

die() { echo "bench/drain.sh: error: $*" >&2; exit 1; }
log() { echo "bench/drain.sh: $*" >&2; }
want() { [[ ,$ONLY, == *,$1,* ]]; }
for c in python3 timeout xargs; do command -v "$c" >/dev/null || die "$c is required"; done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is required for peak RSS (apt-get install time)"

if ! command -v kcat >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "kcat not found: installing it (apt-get install kcat)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat; }; } \
      >/dev/null 2>&1 || die "apt-get install kcat failed; install kcat (https://github.com/edenhill/kcat) and rerun"
  else
    die "kcat not found; install it (Debian/Ubuntu: sudo apt-get install kcat) and rerun"
  fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kbp-bench-drain.XXXXXX")
B=
cleanup() {
  local rc=$?
  if [[ -n $B ]]; then
    # Delete every drain group of this and of earlier (interrupted) runs.
    mapfile -t gs < <(bash scripts/kafka.sh tool consumer-groups --bootstrap-server "$B" --list 2>/dev/null \
      | grep "^$GROUP_PREFIX-" || true)
    if (( ${#gs[@]} )); then
      args=()
      for g in "${gs[@]}"; do args+=(--group "$g"); done
      bash scripts/kafka.sh tool consumer-groups --bootstrap-server "$B" --delete "${args[@]}" >/dev/null 2>&1 \
        || log "could not delete ${#gs[@]} drain groups (they are harmless, but bench/lag.sh lists them)"
    fi
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build, broker, topics ------------------------------------------------------------
log "building (cargo build --release)"
cargo build --release --quiet
cp "$TARGET_DIR/release/kbp" "$WORK/kbp"   # a concurrent build must not swap it mid-run
KBP=$WORK/kbp
B=$(bash scripts/kafka.sh ensure) || die "scripts/kafka.sh ensure failed"
log "broker $B (run dir $KBP_KAFKA_RUN)"

end_offsets_sum() {
  bash scripts/kafka.sh tool get-offsets --bootstrap-server "$B" --topic "$1" --time latest \
    | awk -F: '{s += $NF} END {print s + 0}'
}

# seed TOPIC RECORDS BATCH_BYTES: create the topic and bring it to exactly RECORDS records.
seed() {
  local topic=$1 n=$2 batch=$3 have
  bash scripts/kafka.sh tool topics --bootstrap-server "$B" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" >/dev/null
  have=$(end_offsets_sum "$topic")
  (( have == n )) && return 0
  (( have < n )) || die "$topic holds $have records, more than $n: delete it (or stop --clean the bench broker)"
  log "seeding $topic: $((n - have)) records of $RECORD_BYTES bytes"
  bash scripts/kafka.sh tool producer-perf-test --topic "$topic" --num-records "$((n - have))" \
    --record-size "$RECORD_BYTES" --throughput -1 --bootstrap-server "$B" \
    --command-property acks=1 linger.ms=20 "batch.size=$batch" >"$WORK/seed.log" 2>&1 \
    || { tail -5 "$WORK/seed.log" >&2; die "producer-perf-test failed for $topic"; }
  have=$(end_offsets_sum "$topic")
  (( have == n )) || die "$topic holds $have records after seeding, expected $n"
}
want throughput && seed "$T_TPUT" "$N_TPUT" 262144
want memory && { seed "$T_MEM1" "$N_MEM1" 262144; seed "$T_MEM10" "$N_MEM10" 262144; }
want sinks && seed "$T_MEM1" "$N_MEM1" 262144
# Small batches, so that the sticky partitioner spreads 6,400 records over all 12 partitions.
want parallel && seed "$T_PAR" "$N_PAR" 1000

# --- helpers -------------------------------------------------------------------------------
# kbp_run CAP_SECONDS TOPIC ARGS...: one drain with a fresh group, bounded by SIGINT after
# CAP_SECONDS. Prints: processed duration_ms wall_s peak_rss_kib stop_reason pauses
# max_queued committed_sum cpu_s (user + system, children included). With SINK_OUT=PATH the
# drain's stdout (a stdout sink) goes to PATH and the summary is read from the text table on
# stderr (pauses and max_queued are then 0, duration_ms the wall time).
kbp_run() {
  local cap=$1 topic=$2 group t0 t1 out=${SINK_OUT:-}
  shift 2
  # A fresh group per run (kbp_run runs in a subshell: no counter), so it drains it all.
  group=$GROUP_PREFIX-$$-$(date +%s%N)
  t0=$(date +%s%N)
  /usr/bin/time -o "$WORK/time" -f '%M %U %S' timeout --preserve-status -s INT -k 60 "$cap" \
    "$KBP" -b "$B" drain -g "$group" -t "$topic" --until end -q "$@" \
    --summary "$([[ -n $out ]] && echo text || echo json)" \
    >"${out:-$WORK/summary.json}" 2>"$WORK/kbp.err" \
    || { tail -5 "$WORK/kbp.err" >&2; die "kbp drain failed: $*"; }
  t1=$(date +%s%N)
  [[ -n $out ]] && cp "$WORK/kbp.err" "$WORK/summary.json"
  python3 - "$WORK/summary.json" "$t0" "$t1" "$(tail -n 1 "$WORK/time")" "${out:+text}" <<'EOF'
import json, re, sys
wall = (int(sys.argv[3]) - int(sys.argv[2])) / 1e9
rss, user, system = sys.argv[4].split()
text = open(sys.argv[1]).read()
if sys.argv[5] == "text":
    # "drain of group G stopped (REASON) after T", the counters table, the partition table.
    lines = [l.split() for l in text.splitlines()]
    stop = re.search(r"stopped \(([^)]*)\)", text).group(1)
    counters = next(lines[i + 1] for i, l in enumerate(lines) if l[:1] == ["PROCESSED"])
    head = next(i for i, l in enumerate(lines) if l[:2] == ["TOPIC", "PARTITION"])
    committed = sum(int(l[3]) for l in lines[head + 1:] if len(l) >= 4 and l[3].isdigit())
    d = {"processed": int(counters[0]), "duration_ms": int(wall * 1000), "stop_reason": stop,
         "pauses": 0, "max_queued": 0}
else:
    d = json.loads(text)
    committed = sum(p["committed_offset"] or 0 for p in d["partitions"])
print(d["processed"], d["duration_ms"], f"{wall:.3f}", rss, d["stop_reason"], d["pauses"],
      d["max_queued"], committed, f"{float(user) + float(system):.2f}")
EOF
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN {printf "%.*f", d, x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
verdict() { awk -v ok="$1" 'BEGIN {print (ok ? "**PASS**" : "**MISS**")}'; }
SUMMARY=()
MISSED=0
record_verdict() {  # record_verdict NAME MEASURED TARGET OK
  SUMMARY+=("| $1 | $2 | $3 | $(verdict "$4") |")
  [[ $4 == 1 ]] || MISSED=1
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo
echo "## kbp drain benchmarks"
echo
echo "Broker $B (Kafka 4.3.1, single node, same machine); $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; load average at start: $(load)"
echo "kbp $("$KBP" --version | awk '{print $2}') at $(git rev-parse --short HEAD)$( [[ -n $(git status --porcelain -- src Cargo.toml Cargo.lock) ]] && echo ' (src modified)')," \
  "librdkafka $(awk '/name = "rdkafka-sys"/ {getline; gsub(/"/, ""); sub(/.*\+/, ""); print}' Cargo.lock);" \
  "kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p')"

# --- 1. throughput ----------------------------------------------------------------------------
if want throughput; then
  # Row 0 is the reference; row 1 is the target (kbp's defaults, --sink null, which completes
  # records on the poll thread); the others are diagnostics of the worker path with a real
  # sink writing what kcat writes (the values, one per line) to a file, fsynced per commit.
  SINK_OUT=$WORK/sink.out
  NAMES=("kcat -C -e -q -o beginning" "kbp drain --sink null"
         "kbp drain --sink file:F --format raw" "kbp drain --sink file:F --format raw --ordering unordered")
  EXTRA=("" "--sink null" "--sink file:$SINK_OUT --format raw"
         "--sink file:$SINK_OUT --format raw --ordering unordered")
  log "throughput: kcat and $((${#NAMES[@]} - 1)) kbp configurations on $T_TPUT, $RUNS runs each, interleaved"
  # Untimed: warms the page cache and checks that kcat reads every record.
  got=$(kcat -b "$B" -C -t "$T_TPUT" -e -q -o beginning -f '\n' | wc -l)
  (( got == N_TPUT )) || die "kcat read $got records of $T_TPUT, expected $N_TPUT"
  for i in "${!NAMES[@]}"; do : >"$WORK/tput$i"; done
  capped=()
  for ((r = 0; r < RUNS; r++)); do
    t0=$(date +%s%N)
    /usr/bin/time -o "$WORK/time" -f '%M %U %S' kcat -b "$B" -C -t "$T_TPUT" -e -q -o beginning >/dev/null \
      || die "kcat failed"
    t1=$(date +%s%N)
    read -r rss user system < <(tail -n 1 "$WORK/time")
    awk -v a="$t0" -v b="$t1" -v n="$N_TPUT" -v m="$rss" -v c="$(awk -v u="$user" -v s="$system" 'BEGIN {print u + s}')" \
      'BEGIN {printf "%d 0 %.3f %d done 0 0 %d %.2f\n", n, (b - a) / 1e9, m, n, c}' >>"$WORK/tput0"
    for ((i = 1; i < ${#NAMES[@]}; i++)); do
      [[ -n ${capped[i]:-} ]] && continue
      rm -f "$SINK_OUT"
      # shellcheck disable=SC2086
      line=$(kbp_run "$CAP" "$T_TPUT" ${EXTRA[$i]})
      rm -f "$SINK_OUT"
      echo "$line" >>"$WORK/tput$i"
      read -r processed _ _ _ stop _ _ committed _ <<<"$line"
      if [[ $stop == "done" ]]; then
        (( processed == N_TPUT && committed == N_TPUT )) || {
          cp "$WORK/summary.json" "${TMPDIR:-/tmp}/kbp-bench-drain-failed-summary.json"
          die "${NAMES[$i]}: done, but processed $processed and committed $committed of $N_TPUT" \
            "(summary: ${TMPDIR:-/tmp}/kbp-bench-drain-failed-summary.json)"
        }
      else
        capped[i]=1
        log "${NAMES[$i]}: stopped after ${CAP} s ($processed of $N_TPUT records); not repeated"
      fi
    done
  done
  echo
  echo "### Throughput: $N_TPUT records of $RECORD_BYTES bytes, $PARTITIONS partitions"
  echo
  echo "Rates are records / wall seconds of the whole process (start, group join, drain, commit, exit)."
  echo "CPU is user + system seconds of the process (all its threads; the broker is not counted)."
  echo
  echo "| command | runs | median wall s | records | rec/s | vs kcat | CPU s | CPU µs/record | pauses | peak RSS MiB |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for i in "${!NAMES[@]}"; do
    n=$(wc -l <"$WORK/tput$i")
    RATE[i]=$(awk '{print $1 / $3}' "$WORK/tput$i" | median)
    med_wall=$(awk '{print $3}' "$WORK/tput$i" | median)
    med_proc=$(awk '{print $1}' "$WORK/tput$i" | median)
    cpu=$(awk '{print $9}' "$WORK/tput$i" | median)
    us=$(awk '{print $9 * 1e6 / $1}' "$WORK/tput$i" | median)
    if (( i == 0 )); then pauses=-; else pauses=$(fmt "$(awk '{print $6}' "$WORK/tput$i" | median)"); fi
    rss=$(fmt "$(awk '{print $4 / 1024}' "$WORK/tput$i" | median)" 1)
    stopped=$(awk '$5 != "done" {print " (stopped at the cap)"; exit}' "$WORK/tput$i")
    echo "| \`${NAMES[$i]}\` | $n | $(fmt "$med_wall" 2) | $(fmt "$med_proc")$stopped | $(fmt "${RATE[$i]}") | $(ratio "${RATE[$i]}" "${RATE[0]}") | $(fmt "$cpu" 2) | $(fmt "$us" 2) | $pauses | $rss |"
  done
  r=$(ratio "${RATE[1]}" "${RATE[0]}")
  record_verdict "Throughput: \`kbp drain --sink null\` vs \`kcat -C\` (records / wall s)" \
    "$(fmt "${RATE[1]}") rec/s = ${r}x kcat ($(fmt "${RATE[0]}") rec/s)" ">= 0.9x" \
    "$(awk -v r="$r" 'BEGIN {print (r >= 0.9)}')"
fi

# --- 2. memory ---------------------------------------------------------------------------------
if want memory; then
  log "memory: ${MEM_SECS} s drains of $T_MEM1 and $T_MEM10 into exec:'sleep 0.01'"
  echo
  echo "### Memory: slow sink (\`--sink exec:'sleep 0.01'\`), stopped by SIGINT after ${MEM_SECS} s"
  echo
  echo "| ordering | backlog | peak RSS MiB | processed | rec/s | pauses | max queued | 10M / 1M |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for ordering in partition unordered; do
    declare -A PEAK=()
    for topic in "$T_MEM1" "$T_MEM10"; do
      line=$(kbp_run "$MEM_SECS" "$topic" --sink "exec:sleep 0.01" --ordering "$ordering")
      read -r processed dur _ rss _ pauses maxq _ <<<"$line"
      PEAK[$topic]=$rss
      backlog=$([[ $topic == "$T_MEM1" ]] && echo 1,000,000 || echo 10,000,000)
      rel=$([[ $topic == "$T_MEM10" ]] && ratio "$rss" "${PEAK[$T_MEM1]}" || echo "")
      echo "| $ordering | $backlog | $(fmt "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" 1) | $processed | $(fmt "$(awk -v p="$processed" -v d="$dur" 'BEGIN {print p * 1000 / d}')") | $pauses | $maxq | $rel |"
    done
    p1=${PEAK[$T_MEM1]}; p10=${PEAK[$T_MEM10]}
    ok=$(awk -v a="$p1" -v b="$p10" 'BEGIN {d = (b - a) / a; if (d < 0) d = -d; print (b <= 64 * 1024 && d <= 0.10)}')
    record_verdict "Memory (--ordering $ordering): peak RSS, 10M backlog; vs 1M backlog" \
      "$(fmt "$(awk -v k="$p10" 'BEGIN {print k / 1024}')" 1) MiB; $(ratio "$p10" "$p1")x the 1M peak ($(fmt "$(awk -v k="$p1" 'BEGIN {print k / 1024}')" 1) MiB)" \
      "<= 64 MiB and within 10%" "$ok"
  done
fi

# --- 3. parallel efficiency ---------------------------------------------------------------------
if want parallel; then
  log "parallel: $N_PAR records, exec:'sleep $PAR_WORK_S', $PAR_WORKERS workers, $RUNS runs of kbp and of xargs -P $PAR_WORKERS"
  : >"$WORK/par_kbp"; : >"$WORK/par_xargs"
  for ((r = 0; r < RUNS; r++)); do
    line=$(kbp_run 600 "$T_PAR" --sink "exec:sleep $PAR_WORK_S" --workers "$PAR_WORKERS" --ordering unordered)
    read -r processed dur _ _ stop _ _ committed _ <<<"$line"
    [[ $stop == "done" && $processed == "$N_PAR" && $committed == "$N_PAR" ]] \
      || die "parallel drain: stop $stop, processed $processed, committed $committed of $N_PAR"
    echo "$line" >>"$WORK/par_kbp"
    t0=$(date +%s%N)
    seq "$N_PAR" | xargs -P "$PAR_WORKERS" -n 1 sh -c "sleep $PAR_WORK_S" _ || die "xargs baseline failed"
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" -v n="$N_PAR" 'BEGIN {print n * 1e9 / (b - a)}' >>"$WORK/par_xargs"
  done
  kbp_rate=$(awk '{print $1 * 1000 / $2}' "$WORK/par_kbp" | median)
  kbp_wall_rate=$(awk '{print $1 / $3}' "$WORK/par_kbp" | median)
  x_rate=$(median <"$WORK/par_xargs")
  ideal=$(awk -v w="$PAR_WORKERS" -v s="$PAR_WORK_S" 'BEGIN {print w / s}')
  echo
  echo "### Parallel efficiency: $N_PAR records, \`--sink exec:'sleep $PAR_WORK_S' --workers $PAR_WORKERS --ordering unordered\`"
  echo
  echo "| command | runs | median rec/s | min | max | vs ideal $(fmt "$ideal") rec/s | vs xargs |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  read -r lo hi < <(awk '{print $1 * 1000 / $2}' "$WORK/par_kbp" | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {print lo, hi}')
  echo "| \`kbp drain\` (processed / duration_ms) | $RUNS | $(fmt "$kbp_rate" 1) | $(fmt "$lo" 1) | $(fmt "$hi" 1) | $(ratio "$kbp_rate" "$ideal") | $(ratio "$kbp_rate" "$x_rate") |"
  echo "| \`kbp drain\` (processed / process wall time) | $RUNS | $(fmt "$kbp_wall_rate" 1) | | | $(ratio "$kbp_wall_rate" "$ideal") | $(ratio "$kbp_wall_rate" "$x_rate") |"
  read -r lo hi < <(sort -g "$WORK/par_xargs" | awk 'NR==1 {lo=$1} {hi=$1} END {print lo, hi}')
  echo "| \`seq $N_PAR \| xargs -P $PAR_WORKERS -n 1 sh -c 'sleep $PAR_WORK_S'\` (no Kafka) | $RUNS | $(fmt "$x_rate" 1) | $(fmt "$lo" 1) | $(fmt "$hi" 1) | $(ratio "$x_rate" "$ideal") | 1.000 |"
  r=$(ratio "$kbp_rate" "$ideal")
  record_verdict "Parallel: $PAR_WORKERS workers x ${PAR_WORK_S} s per record, unordered" \
    "$(fmt "$kbp_rate" 1) rec/s = ${r}x of $(fmt "$ideal") (xargs ceiling on this machine: $(fmt "$x_rate" 1) rec/s)" \
    ">= 0.9x ($(fmt "$(awk -v i="$ideal" 'BEGIN {print 0.9 * i}')") rec/s)" "$(awk -v r="$r" 'BEGIN {print (r >= 0.9)}')"
fi

# --- 4. real sinks against kcat -----------------------------------------------------------------
if want sinks; then
  T=$T_MEM1; N=$N_MEM1
  F=$WORK/sink.out
  ACKER=$WORK/acker.py
  # The interpreter itself: a version manager's `python3` shim (pyenv) runs shell scripts
  # before each start, which would cost the pipe its 8 children's start-up many times over.
  PY=$(python3 -c 'import sys; print(sys.executable)')
  # Acknowledges every line it has read at once: one `ok` per newline, one write per read.
  cat >"$ACKER" <<'EOF'
import os
while True:
    b = os.read(0, 1 << 16)
    if not b:
        break
    n = b.count(b"\n")
    if n:
        os.write(1, b"ok\n" * n)
EOF
  KCAT=(kcat -b "$B" -C -t "$T" -e -q -o beginning)
  # name | how (kcat: a bash command line; kbp: SINK_OUT then drain flags)
  S_NAMES=("kcat -C -e -q -f '%s\\n' > /dev/null" "kbp drain --sink stdout --format raw > /dev/null"
           "kcat -C -e -q -J > /dev/null" "kbp drain --sink stdout > /dev/null"
           "kcat -C -e -q -f '%s\\n' > F" "kbp drain --sink file:F --format raw"
           "kbp drain --sink file:F --format raw --ordering unordered"
           "kcat -C -e -q -f '%s\\n' | kcat -P -t DST" "kbp drain --sink topic:DST"
           "kbp drain --sink pipe:'python3 acker.py' --format raw" "kbp drain --sink exec:true"
           "kbp drain --sink null" "kbp drain --sink pipe:'python3 acker.py' --format raw --workers 2")
  s_kcat() {  # s_kcat I: one timed kcat reference run; prints "records wall_s cpu_s"
    local t0 t1 dst
    t0=$(date +%s%N)
    case $1 in
      0) /usr/bin/time -o "$WORK/time" -f '%M %U %S' "${KCAT[@]}" -f '%s\n' >/dev/null ;;
      2) /usr/bin/time -o "$WORK/time" -f '%M %U %S' "${KCAT[@]}" -J >/dev/null ;;
      4) /usr/bin/time -o "$WORK/time" -f '%M %U %S' "${KCAT[@]}" -f '%s\n' >"$F" ;;
      7) dst=$2
         /usr/bin/time -o "$WORK/time" -f '%M %U %S' bash -c \
           "$(printf '%q ' "${KCAT[@]}") -f '%s\n' | kcat -b $B -P -t $dst" ;;
    esac || die "${S_NAMES[$1]} failed"
    t1=$(date +%s%N)
    read -r _ user system < <(tail -n 1 "$WORK/time")
    awk -v a="$t0" -v b="$t1" -v n="$N" -v u="$user" -v s="$system" 'BEGIN {printf "%d %.3f %.2f\n", n, (b - a) / 1e9, u + s}'
  }
  s_kbp() {  # s_kbp I [DST]: one kbp run; prints "records wall_s cpu_s stop"
    local line out=
    case $1 in
      1) out=/dev/null; line=$(SINK_OUT=$out kbp_run 120 "$T" --sink stdout --format raw) ;;
      3) out=/dev/null; line=$(SINK_OUT=$out kbp_run 120 "$T" --sink stdout) ;;
      5) line=$(kbp_run 120 "$T" --sink "file:$F" --format raw) ;;
      6) line=$(kbp_run 120 "$T" --sink "file:$F" --format raw --ordering unordered) ;;
      8) line=$(kbp_run 120 "$T" --sink "topic:$2") ;;
      9) line=$(kbp_run 120 "$T" --sink "pipe:$PY $ACKER" --format raw) ;;
      10) line=$(kbp_run "$EXEC_SECS" "$T" --sink "exec:true") ;;
      11) line=$(kbp_run 120 "$T" --sink null) ;;
      12) line=$(kbp_run 120 "$T" --sink "pipe:$PY $ACKER" --format raw --workers 2) ;;
    esac
    read -r processed _ wall _ stop _ _ committed cpu <<<"$line"
    if [[ $stop == done ]]; then
      (( processed == N && committed == N )) || die "${S_NAMES[$1]}: done, but processed $processed and committed $committed of $N"
    fi
    echo "$processed $wall $cpu $stop"
  }
  new_topic() {
    local t=bench-drain-copy-$$-$(date +%s%N)
    bash scripts/kafka.sh tool topics --bootstrap-server "$B" --create --topic "$t" --partitions "$PARTITIONS" >/dev/null \
      || die "cannot create $t"
    echo "$t"
  }
  drop_topic() { bash scripts/kafka.sh tool topics --bootstrap-server "$B" --delete --topic "$1" >/dev/null 2>&1 || true; }
  log "sinks: ${#S_NAMES[@]} commands on $T, $RUNS runs each, interleaved (exec:true once, ${EXEC_SECS} s)"
  got=$("${KCAT[@]}" -f '\n' | wc -l)
  (( got == N )) || die "kcat read $got records of $T, expected $N"
  for i in "${!S_NAMES[@]}"; do : >"$WORK/sink$i"; done
  for ((r = 0; r < RUNS; r++)); do
    for i in "${!S_NAMES[@]}"; do
      (( i == 10 && r > 0 )) && continue
      rm -f "$F"
      case $i in
        0|2|4) s_kcat "$i" >>"$WORK/sink$i" ;;
        7) dst=$(new_topic); s_kcat 7 "$dst" >>"$WORK/sink$i"; drop_topic "$dst" ;;
        8) dst=$(new_topic); s_kbp 8 "$dst" >>"$WORK/sink$i"; drop_topic "$dst" ;;
        *) s_kbp "$i" >>"$WORK/sink$i" ;;
      esac
    done
  done
  rm -f "$F"
  echo
  echo "### Real sinks: $N records of $RECORD_BYTES bytes, $PARTITIONS partitions"
  echo
  echo "Rates are records / wall seconds of the whole process (for kbp: start, join, drain, commit, exit)."
  echo
  echo "| command | runs | median wall s | records | rec/s | CPU s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for i in "${!S_NAMES[@]}"; do
    n=$(wc -l <"$WORK/sink$i")
    SRATE[i]=$(awk '{print $1 / $2}' "$WORK/sink$i" | median)
    stopped=$(awk 'NF >= 4 && $4 != "done" {print " (stopped)"; exit}' "$WORK/sink$i")
    echo "| \`${S_NAMES[$i]}\` | $n | $(fmt "$(awk '{print $2}' "$WORK/sink$i" | median)" 2) | $(fmt "$(awk '{print $1}' "$WORK/sink$i" | median)")$stopped | $(fmt "${SRATE[$i]}") | $(fmt "$(awk '{print $3}' "$WORK/sink$i" | median)" 2) |"
  done
  # record_sink NAME KBP_ROW REF_ROW REQUIRED
  record_sink() {
    local r
    r=$(ratio "${SRATE[$2]}" "${SRATE[$3]}")
    record_verdict "$1" "$(fmt "${SRATE[$2]}") rec/s = ${r}x ($(fmt "${SRATE[$3]}") rec/s)" ">= ${4}x" \
      "$(awk -v r="$r" -v q="$4" 'BEGIN {print (r >= q)}')"
  }
  record_sink "stdout raw vs \`kcat -f '%s\\n'\` (to /dev/null)" 1 0 1.0
  record_sink "stdout JSON lines vs \`kcat -J\` (to /dev/null)" 3 2 3.0
  record_sink "file raw (fsync per commit) vs kcat to the same file" 5 4 1.0
  record_sink "file raw: \`--ordering partition\` vs \`unordered\`" 5 6 0.9
  record_sink "topic copy vs \`kcat -C | kcat -P\`" 8 7 1.0
  record_sink "pipe (acks at once) vs \`exec:true\`" 9 10 50
  record_sink "pipe (acks at once) vs \`--sink null\`" 9 11 0.5
  record_sink "pipe (acks at once), \`--workers 2\` (one child per core) vs \`--sink null\`" 12 11 0.5
fi

echo
echo "### Targets"
echo
echo "| target | measured | required | result |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${SUMMARY[@]}"
echo
echo "Load average at the end: $(load)"

if [[ $STRICT == 1 && $MISSED == 1 ]]; then
  exit 1
fi
