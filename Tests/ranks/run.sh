#!/usr/bin/env bash
# Tests/ranks/run.sh — the rank-count checks at 8 and 16 ranks, more ranks than this machine has
# cores (the multi-rank XCTests stop at 4). Under one MPI per call:
#   Tests/ranks/run.sh openmpi   mpirun --oversubscribe --mca mpi_yield_when_idle 1;
#                                .build/release/infomax, .build/debug/multirank-checks
#   Tests/ranks/run.sh mpich     mpiexec.mpich; .build-mpich/debug/{infomax,multirank-checks}
# Checks (each at 8 and at 16 ranks):
#   full-batch   `infomax train --mode compare` (multi-modal and single-modal), with both candidate
#                exchanges (loss.exchange = allgather, ring): every logged row equals the 1-rank
#                run's (relative 1e-5, as Tests/MultiRankTests/TrainerMultiRankTests.swift)
#   mini-batch   global batch 17 of 37 samples (uneven over 8 and 16 ranks; 6 steps cross two
#                epoch boundaries inside a batch), Adam, a cosine schedule, a row per step: the
#                1-rank trajectory
#   exchange     multirank-checks exchange: the gradient exchange's parts sum like MPI_Allreduce
#   infomax      multirank-checks infomax: the distributed losses against the one-process
#                reference, every plan and option (Open MPI only: under MPICH 4.0's ch4:ucx every
#                waiting rank busy-polls and the suite takes over 300 s at 8 ranks on 2 cores;
#                the MPICH stage runs it at 1-4 ranks)
#   infomax-focused  multirank-checks infomax-focused (MPICH only; a subset of infomax): the
#                distributed loss and its gradient rows against the one-process reference with
#                the same tolerances, InfoNCE (cosine / dot, all / opposite-label negatives),
#                sigmoid and the symmetric form, both exchanges (all-gather, ring), a skewed
#                split and one with an empty rank
#   temperature  multirank-checks temperature (MPICH only, at 8 ranks only; Open MPI's infomax
#                covers it): every InfoNCE plan the planner picks, both exchanges, uneven and
#                empty shards, the distributed loss and its temperature gradient against the
#                one-process reference (at 16 ranks it takes ~100 s of the stage's budget;
#                infomax-focused checks the loss and its gradient rows there)
# Prints one line per check with its time, then "ranks MPI: N passed, M failed (S s)"; exits 1 on
# any failure. RANKS="8" runs one rank count only.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
mpi=${1:-openmpi}
export OPENBLAS_NUM_THREADS=1
case "$mpi" in
    openmpi)
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        # Waiting ranks yield the core (sched_yield) instead of spinning: 16 ranks share 2 cores.
        launch() { local n=$1; shift; mpirun -np "$n" --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 "$@"; }
        infomax=${INFOMAX:-.build/release/infomax}
        checks=${CHECKS:-.build/debug/multirank-checks}
        suites="exchange infomax"
        only8="" ;;
    mpich)
        # Hydra needs no oversubscription flag. MPICH 4.0.2 (ch4:ucx) has no setting that makes a
        # waiting rank yield or block: its wait loop makes no system call at all (strace), with
        # MPI_THREAD_FUNNELED or MULTIPLE alike; MPIR_CVAR_POLLS_BEFORE_YIELD belongs to
        # ch3:nemesis, and MPIR_CVAR_DEVICE_COLLECTIVES=none, MPIR_CVAR_NOLOCAL=1 and
        # MPIR_CVAR_ASYNC_PROGRESS=1 (slower) do not help. Hence infomax-focused here, not infomax.
        launch() { local n=$1; shift; mpiexec.mpich -n "$n" "$@"; }
        infomax=${INFOMAX:-.build-mpich/debug/infomax}
        checks=${CHECKS:-.build-mpich/debug/multirank-checks}
        suites="exchange temperature infomax-focused"
        only8="temperature" ;;
    *) echo "usage: Tests/ranks/run.sh openmpi|mpich" >&2; exit 64 ;;
esac
for f in "$infomax" "$checks"; do
    [ -x "$f" ] || { echo "ranks $mpi: $f is not built (make build build-tests$([ "$mpi" = mpich ] && echo " MPI=mpich"))"; exit 1; }
done
RANKS=${RANKS:-"8 16"}
T=${RANKS_TIMEOUT:-300}
start=$SECONDS
passed=0
failed=0
failures=()
work=$(mktemp -d "${TMPDIR:-/tmp}/infomax-ranks.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

say() { echo "ranks $mpi: $*"; }
ok() { passed=$((passed + 1)); say "PASS $1 ($2 s)"; }
bad() {
    failed=$((failed + 1)); failures+=("$1: $2"); say "FAIL $1: $2"
    [ -f "${3:-}" ] && tail -n 30 "$3"
}

# The small problem of the rank-count checks (Tests/MultiRankTests/TrainerMultiRankTests.swift).
SMALL=(--set signal_noise.d=100 --set train_samples=24 --set encoder.width=8
    --set probe_train_samples=40 --set test_samples=40 --set log_every=3
    --set optimizer.learning_rate=0.05 --set encoder.init_scale=0.1 --progress none)
FULL=(train "${SMALL[@]}" --mode compare --steps 6)
MINI=(train "${SMALL[@]}" --mode multi-modal --steps 6 --set train_samples=37 --set batch_size=17
    --set optimizer.kind=adam --set optimizer.learning_rate=0.01 --set optimizer.schedule=cosine
    --set log_every=1 --set diagnostics_samples=10)

# same_trajectory A.csv B.csv: prints what differs between two metrics.csv (nothing when the
# logged steps agree and every trajectory column agrees to relative 1e-5 + 1e-6; the gradient
# norm on the scale of the first step's, as in Tests/multihost/run.sh).
same_trajectory() {
    awk -F, -v rtol=1e-5 -v cols="step loss gradient_norm signal_learning noise_memorization text_signal_learning signal_inner_product noise_inner_product train_accuracy test_accuracy noise_memorization_se diagnostics_samples" '
        FNR == 1 { for (i = 1; i <= NF; i++) idx[FILENAME, $i] = i; next }
        NR == FNR { n++; for (c in want) ref[n, c] = $(idx[FILENAME, c]); if (n == 1) g0 = ref[1, "gradient_norm"] + 0; next }
        { m++; if (m > n) next
          for (c in want) { a = $(idx[FILENAME, c]); b = ref[m, c]
            if (a == "" || b == "") { if (a != b) { print c " row " m ": \"" a "\" vs \"" b "\""; bad++ } continue }
            d = a - b; if (d < 0) d = -d; x = (a < 0 ? -a : a); y = (b < 0 ? -b : b); if (y > x) x = y
            tol = 1e-6 + rtol * x + (c == "gradient_norm" ? rtol * g0 : 0)
            if (d > tol) { print c " row " m ": " a " vs " b; bad++ } }
          if (bad > 5) exit }
        BEGIN { split(cols, cs, " "); for (i in cs) want[cs[i]] = 1 }
        END { if (m != n) print m " rows vs " n " in the reference"; if (n < 2) print "only " n " rows in the reference" }' "$2" "$1"
}

# train NAME RANKS ARGS...: one run into $work/NAME, bounded by $T seconds; its status.
train() {
    local name=$1 n=$2; shift 2
    if [ "$n" = 1 ]; then
        timeout -k 10 "$T" "$infomax" "$@" --output "$work/$name" > "$work/$name.log" 2>&1
    else
        timeout -k 10 "$T" bash -c "$(declare -f launch); launch \"\$@\"" launch "$n" "$infomax" "$@" \
            --output "$work/$name" > "$work/$name.log" 2>&1
    fi
}

# The 1-rank references.
for ex in allgather ring; do
    train "full-$ex-1" 1 "${FULL[@]}" --set loss.exchange="$ex" || bad "reference full-$ex" "the 1-rank run failed" "$work/full-$ex-1.log"
done
train mini-1 1 "${MINI[@]}" || bad "reference mini-batch" "the 1-rank run failed" "$work/mini-1.log"

for n in $RANKS; do
    for ex in allgather ring; do
        t=$SECONDS; name="full-batch $ex np=$n"; problems=""
        train "full-$ex-$n" "$n" "${FULL[@]}" --set loss.exchange="$ex"
        rc=$?
        if [ "$rc" != 0 ]; then
            problems="the run failed (status $rc)"
        else
            for mode in multi-modal single-modal; do
                d=$(same_trajectory "$work/full-$ex-$n/points/$mode/metrics.csv" "$work/full-$ex-1/points/$mode/metrics.csv")
                [ -n "$d" ] && problems+="$mode differs from 1 rank: $(echo "$d" | head -3 | tr '\n' ';') "
                grep -q "\"ranks\" *: *$n\b" "$work/full-$ex-$n/points/$mode/summary.json" || problems+="$mode: summary.json does not say $n ranks; "
            done
        fi
        if [ -n "$problems" ]; then bad "$name" "$problems" "$work/full-$ex-$n.log"; else ok "$name" $((SECONDS - t)); fi
    done
    t=$SECONDS; name="mini-batch np=$n"; problems=""
    train "mini-$n" "$n" "${MINI[@]}"
    rc=$?
    if [ "$rc" != 0 ]; then
        problems="the run failed (status $rc)"
    else
        d=$(same_trajectory "$work/mini-$n/metrics.csv" "$work/mini-1/metrics.csv")
        [ -n "$d" ] && problems+="differs from 1 rank: $(echo "$d" | head -3 | tr '\n' ';') "
    fi
    if [ -n "$problems" ]; then bad "$name" "$problems" "$work/mini-$n.log"; else ok "$name" $((SECONDS - t)); fi
    for suite in $suites; do
        [ "$n" -gt 8 ] && [[ " $only8 " == *" $suite "* ]] && continue
        t=$SECONDS; name="$suite suite np=$n"
        timeout -k 10 "$T" bash -c "$(declare -f launch); launch \"\$@\"" launch "$n" "$checks" "$suite" \
            > "$work/$suite-$n.log" 2>&1
        rc=$?
        line=$(grep -E "^$suite np=$n: " "$work/$suite-$n.log" | tail -1)
        if [ "$rc" = 0 ] && [[ "$line" == *" 0 failed"* ]]; then
            ok "$name, ${line#*: }" $((SECONDS - t))
        else
            bad "$name" "status $rc, summary '${line:-none}'" "$work/$suite-$n.log"
        fi
    done
done
for f in "${failures[@]}"; do say "failed: $f"; done
echo "ranks $mpi: $passed passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" = 0 ]
