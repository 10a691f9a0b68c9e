#!/bin/bash
# Tests/multihost/bench-hosts.sh — the gradient all-reduce choice (`gradient.allreduce = mpi |
# ring`) measured over TCP between namespace hosts: the throw-away cluster of the multi-host
# stage (Tests/multihost/cluster.sh: one network namespace per host, a bridge, Open MPI's
# mpirun through the rsh agent with TCP between hosts, MPICH's hydra with UCX over TCP only),
# `infomax bench` at 1 rank per host on 2 and 3 hosts, both MPIs × both choices, interleaved
# (round by round, the order of ring and mpi alternating) so that the machine's load hits
# every variant alike. Prints one markdown table: median step and all-reduce wait per
# variant, the range over the rounds, and mpi / ring. Not part of `make test` (a benchmark,
# minutes long); needs root (network namespaces).
#
#   Tests/multihost/bench-hosts.sh                       every size, 2 and 3 hosts, 1 round
#   ROUNDS=3 SIZES=figure1 HOSTS="2 3" Tests/multihost/bench-hosts.sh
#   MPIS="openmpi mpich"   which MPIs (default both; MPICH needs mpiexec.mpich and its build)
#   INFOMAX=…              Open MPI binary (default .build/release/infomax)
#   INFOMAX_MPICH=…        MPICH binary (default .build-mpich/release/infomax)
#   FIG1_STEPS / FIG1_WARMUP   timed / warm-up steps at the Figure-1 size (default 100 / 10)
#   LARGE_STEPS / LARGE_WARMUP the large configuration's (default 2 / 1: ~3 s steps)
#   KEEP=DIR               keep every bench.json and log under DIR
# Sizes: figure1 = --batch 100 --d 2000 --width 50 (the paper's Figure-1 run: 2 × 100,000
# gradient floats); large = --batch 4096 --d 2048 --width 1024 (docs/performance.md; 2 ×
# 2,097,152 floats). Each run is bounded by BENCH_TIMEOUT seconds (default 600); a run that
# fails or times out is reported as such in the table and the script exits 1.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=Tests/multihost/cluster.sh
source "$ROOT/Tests/multihost/cluster.sh"

INFOMAX=${INFOMAX:-$ROOT/.build/release/infomax}
INFOMAX_MPICH=${INFOMAX_MPICH:-$ROOT/.build-mpich/release/infomax}
ROUNDS=${ROUNDS:-1}
SIZES=${SIZES:-figure1 large}
HOSTS=${HOSTS:-2 3}
MPIS=${MPIS:-openmpi mpich}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
export OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

say() { echo "bench-hosts: $*" >&2; }

if ! mh_possible; then say "cannot build the namespace cluster here: $MH_WHY"; exit 1; fi
mpis=()
for m in $MPIS; do
    case $m in
        openmpi) [ -x "$INFOMAX" ] && mpis+=(openmpi) || say "no Open MPI binary $INFOMAX (make build): skipped" ;;
        mpich)
            if [ -x "$INFOMAX_MPICH" ] && command -v mpiexec.mpich >/dev/null; then mpis+=(mpich)
            else say "no MPICH ($INFOMAX_MPICH, mpiexec.mpich; make build MPI=mpich): skipped"; fi ;;
        *) say "MPIS: '$m' is neither openmpi nor mpich"; exit 64 ;;
    esac
done
[ ${#mpis[@]} -gt 0 ] || { say "no MPI to measure"; exit 1; }
maxhosts=0
for h in $HOSTS; do
    [[ "$h" =~ ^[1-9][0-9]*$ ]] || { say "HOSTS: '$h' is not a host count"; exit 64; }
    [ "$h" -gt "$maxhosts" ] && maxhosts=$h
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/infomax-bench-hosts.XXXXXX") || exit 1
cleanup() {
    trap - EXIT INT TERM
    mh_stop
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/ && say "kept the runs in $KEEP"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM
mh_start "$maxhosts" >&2 || { say "could not start the cluster"; exit 1; }

size_flags() {
    case $1 in
        figure1) echo "--batch 100 --d 2000 --width 50 --steps ${FIG1_STEPS:-100} --warmup ${FIG1_WARMUP:-10}" ;;
        large) echo "--batch 4096 --d 2048 --width 1024 --steps ${LARGE_STEPS:-2} --warmup ${LARGE_WARMUP:-1}" ;;
        *) return 1 ;;
    esac
}
for s in $SIZES; do size_flags "$s" >/dev/null || { say "SIZES: '$s' is neither figure1 nor large"; exit 64; }; done

# One line per run into results.tsv: round size hosts mpi choice status step allreduce-wait.
RESULTS=$WORK/results.tsv
: > "$RESULTS"
START=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
    choices=(ring mpi)
    [ $((round % 2)) = 0 ] && choices=(mpi ring)
    for size in $SIZES; do
        for h in $HOSTS; do
            hostlist=$(IFS=,; echo "${MH_HOST[*]:1:$h}")
            for mpi in "${mpis[@]}"; do
                for choice in "${choices[@]}"; do
                    name="r$round-$size-$h-$mpi-$choice"
                    out=$WORK/$name
                    # shellcheck disable=SC2046
                    if [ "$mpi" = openmpi ]; then
                        launch=("$MH_MPIRUN" --host "$hostlist" "$INFOMAX")
                    else
                        launch=("$MH_MPIEXEC" --host "$hostlist" "$INFOMAX_MPICH")
                    fi
                    t0=$(date +%s)
                    # shellcheck disable=SC2046
                    timeout -k 10 "$BENCH_TIMEOUT" "${launch[@]}" bench $(size_flags "$size") \
                        --set gradient.allreduce="$choice" --output "$out" > "$WORK/$name.log" 2>&1
                    rc=$?
                    status=ok
                    [ "$rc" = 0 ] || status="exit-$rc"
                    read -r step wait < <(python3 - "$out/bench.json" <<'PY' 2>/dev/null || echo "nan nan"
import json, sys
j = json.load(open(sys.argv[1]))
print(j["seconds_per_step"], j["phases"]["allreduce"])
PY
)
                    [ "$status" = ok ] && [ "$step" = nan ] && status=no-json
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$size" "$h" "$mpi" "$choice" "$status" "$step" "$wait" >> "$RESULTS"
                    say "round $round, $size, $h hosts, $mpi, $choice: $status, step ${step} s, all-reduce wait ${wait} s ($(( $(date +%s) - t0 )) s)"
                    [ "$status" = ok ] || tail -n 5 "$WORK/$name.log" >&2
                done
            done
        done
    done
done
say "$(( $(date +%s) - START )) s in all; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The table: per (mpi, size, hosts) the median over the rounds of each choice (range when
# several rounds), mpi / ring of the medians.
python3 - "$RESULTS" "$ROUNDS" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rounds = int(sys.argv[2])
names = {"openmpi": "Open MPI 4.1.4", "mpich": "MPICH 4.0.2"}
def ms(x): return f"{x:.3g} s" if x >= 1 else f"{x * 1e3:.3g} ms" if x >= 1e-3 else f"{x * 1e6:.3g} µs"
def cell(vals):
    if not vals: return "failed"
    m = statistics.median(vals)
    return ms(m) + (f" ({ms(min(vals))}–{ms(max(vals))})" if len(vals) > 1 else "")
print("| MPI | size | hosts × ranks (TCP) | step, ring | step, mpi | mpi / ring | all-reduce wait, ring | all-reduce wait, mpi | runs each |")
print("|---|---|---|---|---|---|---|---|---|")
bad = 0
keys = []
for r in rows:
    k = (r[3], r[1], r[2])
    if k not in keys: keys.append(k)
for mpi, size, hosts in keys:
    sel = {c: [r for r in rows if (r[3], r[1], r[2], r[4]) == (mpi, size, hosts, c)] for c in ("ring", "mpi")}
    step = {c: [float(r[6]) for r in sel[c] if r[5] == "ok"] for c in sel}
    wait = {c: [float(r[7]) for r in sel[c] if r[5] == "ok"] for c in sel}
    bad += sum(1 for c in sel for r in sel[c] if r[5] != "ok")
    ratio = f"{statistics.median(step['mpi']) / statistics.median(step['ring']):.2f}" if step["ring"] and step["mpi"] else "–"
    failed = ", ".join(sorted({r[5] for c in sel for r in sel[c] if r[5] != "ok"}))
    print(f"| {names[mpi]} | {'Figure-1' if size == 'figure1' else 'large'} | {hosts} × 1 | {cell(step['ring'])} | {cell(step['mpi'])} | {ratio} | "
          f"{cell(wait['ring'])} | {cell(wait['mpi'])} | {min(len(step['ring']), len(step['mpi']))}{' (' + failed + ')' if failed else ''} |")
sys.exit(1 if bad else 0)
PY
