#!/bin/bash
# Tests/slurm/run.sh — end-to-end test of the Slurm batch scripts in jobs/ on a throw-away
# one-node Slurm cluster started on this machine (Tests/slurm/cluster.sh: munged, slurmctld,
# slurmd from Debian's slurm-wlm / munge / libpmix-dev, installed when missing). Small configs
# keep every job to seconds. Checks:
#   pmix      srun --mpi=list offers pmix (else the jobs fall back to LAUNCHER=mpirun)
#   train     jobs/train.sbatch runs to completion on 2 ranks; its run folder is complete
#   sweep     jobs/submit-sweep.sh: the array has as many tasks as `infomax sweep --list` has
#             points, every task finishes its own point's run folder, the collecting job
#             writes sweep.csv (one row per point) and report.html
#   array-guard  an array whose size does not match the grid is refused (exit 64, no runs)
#   requeue   the train job of `train` again, sent SIGUSR1 while it trains (what
#             --signal=B:USR1@120 does before the time limit, here without waiting minutes
#             for one): the script forwards it, the ranks checkpoint and exit 75, the script
#             requeues the job; the harness checks the checkpoint while the job is pending
#             again (Slurm holds a requeued job for cred_expire + 1 s: 11 s in this cluster,
#             121 s by default), then the job restarts by itself, resumes and finishes with the same metrics as the uninterrupted `train` run
#             (every logged loss and the final figures, relative 1e-5)
#   mpirun    jobs/train.sbatch with LAUNCHER=mpirun (the documented fallback) completes
#   mpiexec   jobs/train.sbatch with LAUNCHER=mpiexec and the MPICH build (hydra under Slurm):
#             SIGUSR1 → checkpoint → exit 75 → requeue → resume → completed (skipped, and
#             says so, without mpiexec.mpich or .build-mpich/debug/infomax)
#   groups    jobs/sweep-groups.sbatch on 4 tasks, 2 ranks per point: 8 points over 2 groups,
#             every point completed on 2 ranks, sweep.csv and report.html written
#   scaling   jobs/scaling.sbatch (strong, tiny sizes, ranks 1 and 2 as two job steps of one
#             allocation) writes np-1/ and np-2/bench.json, scaling.csv (one row per rank
#             count, efficiency 1 at one rank) and report.html
#   experiment  jobs/experiment.sbatch with EXPERIMENT=t1-grid on a 4-point grid (GRID, EXTRA):
#             the sweep runs in one allocation with the experiment's config, 1 rank per point,
#             and its table script writes t1.csv, t1-summary.csv, t1-scatter.svg (about 5 s)
#   timelimit (only with SLURM_TIMELIMIT_TEST=1; 2-4 minutes) a real --time=1 limit with
#             --signal=B:USR1@50: checkpoint, requeue and resume until done, untouched
# Daemons are stopped and the temporary folder removed on exit, failure or Ctrl-C; on a
# failure the job logs and the daemons' logs are printed first. Every wait is bounded.
# Last lines: "slurm: failed: NAME: MESSAGE" per failure, then "slurm: N passed, M failed"; exit status 0 only when nothing failed.
#
#   Tests/slurm/run.sh            (from anywhere; uses .build/release/infomax, builds it if missing)
#   KEEP=1 Tests/slurm/run.sh     keep the job logs and run folders (copied out of the temporary folder)
#   SKIP_SLURM_TESTS=1            skip (a machine without root or sudo cannot run slurmd)
set -uo pipefail

if [ "${SKIP_SLURM_TESTS:-0}" = 1 ]; then
    echo "slurm: skipped (SKIP_SLURM_TESTS=1)"
    echo "slurm: 0 passed, 0 failed"
    exit 0
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=Tests/slurm/cluster.sh
source "$ROOT/Tests/slurm/cluster.sh"

PASSED=0
FAILED=0
FAILED_NAMES=()
# "NAME: MESSAGE" of every failure, repeated just above the last line (CI shows a run's tail,
# and the cluster logs printed on failure would push the failing check out of it).
FAILURES=()
START=$(date +%s)
INFOMAX="$ROOT/.build/release/infomax"
export OPENBLAS_NUM_THREADS=1
# The small problem every job trains: 2 ranks, a few seconds per job.
SMALL="--set signal_noise.d=100 --set signal_noise.snr=0.05 --set train_samples=24 --set encoder.width=8"
TRAIN_STEPS=20000

say() { echo "slurm: $*"; }
pass() { PASSED=$((PASSED + 1)); say "PASS $1 ($(( $(date +%s) - START )) s)"; }
# fail NAME MESSAGE [LOG...]: records a failure and prints the given job logs.
fail() {
    local name=$1 msg=$2 f
    shift 2
    FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name"); FAILURES+=("$name: $msg")
    say "FAIL $name: $msg"
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "----- $f -----"; tail -n 40 "$f"
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
        cluster_logs
        [ -n "${CLUSTER_DIR:-}" ] && timeout 10 squeue 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ] && [ -n "${CLUSTER_DIR:-}" ]; then
        cp -a "$CLUSTER_DIR/work" "${TMPDIR:-/tmp}/infomax-slurm-kept.$$" 2>/dev/null &&
            say "kept the job folders in ${TMPDIR:-/tmp}/infomax-slurm-kept.$$"
    fi
    cluster_stop
    say "$(( $(date +%s) - START )) s"
    if [ "$rc" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; FAILURES+=("the runner itself: exit status $rc"); fi
    for f in "${FAILURES[@]}"; do say "failed: $f"; done
    echo "slurm: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0 || exit 1
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# --- helpers ------------------------------------------------------------------------------

# shellcheck source=Tests/slurm/job-helpers.sh
source "$ROOT/Tests/slurm/job-helpers.sh"

# Waits (up to $2 s) until every task of array job $1 has left the queue.
wait_array() {
    local id=$1 limit=$2 t=0
    while [ "$t" -lt $((limit * 2)) ]; do
        [ -z "$(timeout 10 squeue -h -j "$id" 2>/dev/null)" ] && return 0
        sleep 0.5; t=$((t + 1))
    done
    return 1
}

# A number field of a summary.json ("key" : value).
summary_field() { sed -n "s/^ *\"$2\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1/summary.json" 2>/dev/null | head -1; }

# Relative comparison of two numbers: |a - b| <= tol * max(|a|, |b|) (+ a tiny absolute floor).
close() { awk -v a="$1" -v b="$2" -v tol="${3:-1e-5}" 'BEGIN {
    if (a == "" || b == "") exit 1
    d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); n = (b < 0 ? -b : b); if (n > m) m = n
    exit !(d <= tol * m + 1e-12) }'; }

# Checks a finished run folder $1 of a compare run (points/multi-modal, points/single-modal)
# trained for $2 steps; prints what is wrong (nothing when fine).
check_run_folder() {
    local dir=$1 steps=$2 mode f last
    for f in config.json comparison.csv report.html sweep.json; do
        [ -s "$dir/$f" ] || echo "missing $dir/$f"
    done
    for mode in multi-modal single-modal; do
        f="$dir/points/$mode"
        [ -s "$f/metrics.csv" ] || { echo "missing $f/metrics.csv"; continue; }
        [ "$(summary_field "$f" status)" = completed ] || echo "$f/summary.json: status '$(summary_field "$f" status)', expected completed"
        [ "$(summary_field "$f" ranks)" = 2 ] || echo "$f/summary.json: ranks '$(summary_field "$f" ranks)', expected 2"
        [ "$(summary_field "$f" steps_completed)" = "$steps" ] || echo "$f/summary.json: steps_completed '$(summary_field "$f" steps_completed)', expected $steps"
        [ -e "$f/checkpoint.ckpt" ] && echo "$f/checkpoint.ckpt left behind by a finished run"
        last=$(tail -n 1 "$f/metrics.csv" | cut -d, -f1)
        close "$last" "$steps" 0 || echo "$f/metrics.csv: last step $last, expected $steps"
        awk -F, 'NR > 2 && $1 + 0 <= prev { print FILENAME ": step " $1 " after " prev " (duplicated or out of order)"; exit }
                 NR > 1 { prev = $1 + 0 }' "$f/metrics.csv"
    done
}

# Compares two run folders' metrics: every logged loss (same steps) and the final figures.
compare_runs() {
    local a=$1 b=$2 mode key va vb
    for mode in multi-modal single-modal; do
        for key in final_loss train_accuracy test_accuracy signal_learning noise_memorization; do
            va=$(summary_field "$a/points/$mode" "$key"); vb=$(summary_field "$b/points/$mode" "$key")
            close "$va" "$vb" 1e-5 || echo "$mode $key: $va (requeued) vs $vb (uninterrupted)"
        done
        awk -F, '
            FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss") col = i; next }
            NR == FNR { ref[$1 + 0] = $col; n++; next }
            { m++; s = $1 + 0
              if (!(s in ref)) { print FILENAME ": step " s " not in the uninterrupted run"; bad = 1; exit }
              a = $col; b = ref[s]; d = a - b; if (d < 0) d = -d; x = (a < 0 ? -a : a); y = (b < 0 ? -b : b); if (y > x) x = y
              if (d > 1e-5 * x + 1e-12) { print FILENAME ": loss at step " s ": " a " vs " b; bad = 1; exit } }
            END { if (!bad && m != n) print FILENAME ": " m " logged rows vs " n " in the uninterrupted run" }
        ' "$b/points/$mode/metrics.csv" "$a/points/$mode/metrics.csv"
    done
}

# --- set-up -------------------------------------------------------------------------------

if [ ! -x "$INFOMAX" ]; then
    say "building $INFOMAX (swift build -c release --product infomax)"
    swift build -c release --product infomax || { say "the release build failed"; exit 1; }
fi
cluster_install || exit 1
cluster_start || { FAILED=1; exit 1; }
WORK="$CLUSTER_DIR/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
export INFOMAX JOBS_DIR="$ROOT/jobs"

# pmix: srun must offer PMIx, else every job uses the mpirun fallback.
if timeout 20 srun --mpi=list 2>&1 | grep -qw pmix; then
    export LAUNCHER=srun
    pass pmix
else
    export LAUNCHER=mpirun
    say "note: this Slurm's srun has no pmix plugin; the jobs launch with mpirun inside the allocation"
    fail pmix "srun --mpi=list does not list pmix" 
fi

# --- train: one run ----------------------------------------------------------------------

LOG_TRAIN="$WORK/train.out"
J_TRAIN=$(STEPS=$TRAIN_STEPS EXTRA="$SMALL" OUTPUT="$WORK/train" \
    timeout 20 sbatch --parsable --output="$LOG_TRAIN" "$ROOT/jobs/train.sbatch")
if [ -z "$J_TRAIN" ]; then
    fail train "sbatch jobs/train.sbatch failed"
else
    wait_done "$J_TRAIN" 300; state=$STATE
    problems=$(check_run_folder "$WORK/train" "$TRAIN_STEPS")
    if [ "$state" != COMPLETED ] || [ "$(job_field "$J_TRAIN" ExitCode)" != 0:0 ]; then
        fail train "job $J_TRAIN ended $state, exit code $(job_field "$J_TRAIN" ExitCode)" "$LOG_TRAIN"
    elif [ -n "$problems" ]; then
        fail train "run folder: $problems" "$LOG_TRAIN"
    elif ! grep -q "2 rank(s)" "$LOG_TRAIN" || ! grep -q "via $LAUNCHER" "$LOG_TRAIN" ||
         ! grep -q "1 BLAS thread(s) per rank" "$LOG_TRAIN"; then
        fail train "the log does not show 2 ranks via $LAUNCHER with 1 BLAS thread each" "$LOG_TRAIN"
    else
        pass train
    fi
fi

# --- sweep: the job array ----------------------------------------------------------------

SWEEP_ENV=("SNRS=0.05,0.2" "SEEDS=1,2" EXTRA="$SMALL --set steps=400" OUTPUT="$WORK/sweep")
# shellcheck disable=SC2016
expected_points=$(env "${SWEEP_ENV[@]}" bash -c 'source "$JOBS_DIR/lib.sh"; sweep_args; "$INFOMAX" sweep "${SWEEP_ARGS[@]}" --list')
submitted=$(env "${SWEEP_ENV[@]}" timeout 30 "$ROOT/jobs/submit-sweep.sh" --output="$WORK/sweep-%A_%a.out" | tail -n 1)
J_ARRAY=$(sed -n 's/.*array=\([0-9]*\).*/\1/p' <<<"$submitted")
J_COLLECT=$(sed -n 's/.*collect=\([0-9]*\).*/\1/p' <<<"$submitted")
npoints=$(grep -c . <<<"$expected_points")
if [ -z "$J_ARRAY" ] || [ -z "$J_COLLECT" ]; then
    fail sweep "jobs/submit-sweep.sh did not submit (output: $submitted)"
elif [ "$npoints" != 8 ]; then
    fail sweep "infomax sweep --list printed $npoints points, expected 2 SNRs × 2 seeds × 2 modes = 8"
else
    wait_array "$J_ARRAY" 240
    wait_done "$J_COLLECT" 120; state_collect=$STATE
    problems=""
    tasks_seen=0
    while IFS=$'\t' read -r index name _; do
        log="$WORK/sweep-${J_ARRAY}_${index}.out"
        tasks_seen=$((tasks_seen + 1))
        task_state=$(timeout 10 scontrol show job "${J_ARRAY}_${index}" 2>/dev/null | grep -o 'JobState=[^ ]*' | head -1 | cut -d= -f2)
        [ "$task_state" = COMPLETED ] || problems+="task $index ended ${task_state:-unknown}; "
        grep -q "\[sweep\] point $((index + 1))/$npoints: $name\$" "$log" 2>/dev/null ||
            problems+="task $index's log does not run point $name; "
        dir="$WORK/sweep/points/$name"
        [ "$(summary_field "$dir" status)" = completed ] || problems+="$dir: no completed summary.json; "
        [ "$(tail -n 1 "$dir/metrics.csv" 2>/dev/null | cut -d, -f1)" = 400 ] || problems+="$dir/metrics.csv does not end at step 400; "
    done <<<"$expected_points"
    # The array has one task per point (Slurm's record of the array, and the task logs).
    ntasks=$(timeout 10 scontrol show job "$J_ARRAY" 2>/dev/null | grep -c "ArrayJobId=$J_ARRAY ")
    [ "$ntasks" = "$npoints" ] || problems+="the array has $ntasks tasks for $npoints points; "
    [ "$(find "$WORK" -maxdepth 1 -name "sweep-${J_ARRAY}_*.out" | wc -l)" = "$npoints" ] ||
        problems+="$(find "$WORK" -maxdepth 1 -name "sweep-${J_ARRAY}_*.out" | wc -l) task logs for $npoints points; "
    [ "$(find "$WORK/sweep/points" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)" = "$npoints" ] ||
        problems+="$(find "$WORK/sweep/points" -mindepth 1 -maxdepth 1 -type d | wc -l) point folders for $npoints points; "
    [ "$state_collect" = COMPLETED ] || problems+="the collecting job ended $state_collect; "
    rows=$(($(wc -l < "$WORK/sweep/sweep.csv" 2>/dev/null || echo 0) - 1))
    [ "$rows" = "$npoints" ] || problems+="sweep.csv has $rows rows, expected $npoints; "
    [ -s "$WORK/sweep/report.html" ] || problems+="no sweep report.html; "
    if [ -n "$problems" ]; then
        fail sweep "$problems" "$WORK"/sweep-*.out
    else
        pass sweep
    fi
fi

# --- array-guard: an array of the wrong size is refused -----------------------------------

LOG_GUARD="$WORK/guard-%A_%a.out"
J_GUARD=$(env "${SWEEP_ENV[@]}" OUTPUT="$WORK/guard" timeout 20 sbatch --parsable --array=0-2 \
    --output="$LOG_GUARD" "$ROOT/jobs/snr-sweep.sbatch")
if [ -z "$J_GUARD" ]; then
    fail array-guard "sbatch --array=0-2 jobs/snr-sweep.sbatch failed"
else
    wait_array "$J_GUARD" 60
    code=$(timeout 10 scontrol show job "${J_GUARD}_0" 2>/dev/null | grep -o 'ExitCode=[^ ]*' | head -1 | cut -d= -f2)
    if [ "$code" != 64:0 ]; then
        fail array-guard "a 3-task array over 8 points: task 0 exit code ${code:-unknown}, expected 64:0" "$WORK/guard-${J_GUARD}_0.out"
    elif ! grep -q "submit with --array=0-7" "$WORK/guard-${J_GUARD}_0.out"; then
        fail array-guard "the log does not say how to submit" "$WORK/guard-${J_GUARD}_0.out"
    elif [ -d "$WORK/guard/points" ]; then
        fail array-guard "a mismatched array still trained points" "$WORK/guard-${J_GUARD}_0.out"
    else
        pass array-guard
    fi
fi

# --- requeue: signal → checkpoint → exit 75 → requeue → resume → same result ------------------

LOG_REQ="$WORK/requeue.out"
J_REQ=$(STEPS=$TRAIN_STEPS EXTRA="$SMALL" OUTPUT="$WORK/requeue" \
    timeout 20 sbatch --parsable --output="$LOG_REQ" "$ROOT/jobs/train.sbatch")
if [ -z "$J_REQ" ]; then
    fail requeue "sbatch jobs/train.sbatch failed"
elif ! wait_for_text "$LOG_REQ" "step 1/$TRAIN_STEPS" 120; then
    fail requeue "job $J_REQ did not start training within 120 s" "$LOG_REQ"
else
    sleep 0.5
    signal_batch "$J_REQ" "$LOG_REQ"
    # Requeued: pending again with one restart (Slurm holds a requeued job ~2 min: BeginTime).
    requeued=""
    for _ in $(seq 1 120); do
        if [ "$(job_field "$J_REQ" Restarts)" = 1 ] && [ "$(job_field "$J_REQ" JobState)" = PENDING ]; then requeued=1; break; fi
        case "$(job_field "$J_REQ" JobState)" in COMPLETED|FAILED|CANCELLED) break ;; esac
        sleep 0.5
    done
    ckpt=$(find "$WORK/requeue/points" -name checkpoint.ckpt 2>/dev/null | head -1)
    if [ -z "$requeued" ]; then
        fail requeue "job $J_REQ was not requeued after SIGUSR1 (state $(job_field "$J_REQ" JobState), restarts $(job_field "$J_REQ" Restarts))" "$LOG_REQ"
    elif [ -z "$ckpt" ] || [ "$(summary_field "$(dirname "$ckpt")" status)" != checkpointed ]; then
        fail requeue "no checkpoint.ckpt with a 'checkpointed' summary.json after the signal" "$LOG_REQ"
    elif ! grep -q "stopped by SIGUSR1" "$LOG_REQ" || ! grep -q "Exited with exit code 75" "$LOG_REQ" ||
         ! grep -q "requeueing job $J_REQ" "$LOG_REQ"; then
        fail requeue "the log does not show SIGUSR1 → checkpoint → exit 75 → requeue" "$LOG_REQ"
    else
        stopped_mode=$(basename "$(dirname "$ckpt")")
        # Slurm starts it again by itself once the old credential expired (cred_expire=10).
        wait_done "$J_REQ" 300; state=$STATE
        problems=$(check_run_folder "$WORK/requeue" "$TRAIN_STEPS")
        resumed=$(summary_field "$WORK/requeue/points/$stopped_mode" resumed_from_step)
        if [ "$state" != COMPLETED ] || [ "$(job_field "$J_REQ" Restarts)" != 1 ]; then
            fail requeue "the requeued job ended $state after $(job_field "$J_REQ" Restarts) restart(s)" "$LOG_REQ"
        elif [ -n "$problems" ]; then
            fail requeue "run folder: $problems" "$LOG_REQ"
        elif ! grep -q "restart 1" "$LOG_REQ" || [ -z "$resumed" ] || [ "${resumed%.*}" -le 0 ] 2>/dev/null; then
            fail requeue "$stopped_mode did not resume from the checkpoint (resumed_from_step '${resumed}')" "$LOG_REQ"
        else
            diffs=$(compare_runs "$WORK/requeue" "$WORK/train")
            if [ -n "$diffs" ]; then
                fail requeue "the requeued run differs from the uninterrupted one: $diffs" "$LOG_REQ"
            else
                say "requeue: stopped $stopped_mode at step $resumed, requeued, resumed; metrics match the uninterrupted run"
                pass requeue
            fi
        fi
    fi
fi

# --- mpirun: the fallback launcher ----------------------------------------------------------

LOG_MPI="$WORK/mpirun.out"
J_MPI=$(LAUNCHER=mpirun STEPS=400 EXTRA="$SMALL" OUTPUT="$WORK/mpirun" \
    timeout 20 sbatch --parsable --output="$LOG_MPI" "$ROOT/jobs/train.sbatch")
if [ -z "$J_MPI" ]; then
    fail mpirun "sbatch jobs/train.sbatch failed"
else
    wait_done "$J_MPI" 120; state=$STATE
    problems=$(check_run_folder "$WORK/mpirun" 400)
    if [ "$state" != COMPLETED ]; then
        fail mpirun "job $J_MPI (LAUNCHER=mpirun) ended $state" "$LOG_MPI"
    elif [ -n "$problems" ]; then
        fail mpirun "run folder: $problems" "$LOG_MPI"
    elif ! grep -q "via mpirun" "$LOG_MPI"; then
        fail mpirun "the log does not show the mpirun launcher" "$LOG_MPI"
    else
        pass mpirun
    fi
fi

# --- mpiexec: MPICH's hydra under sbatch (LAUNCHER=mpiexec), signal → checkpoint → requeue ----
# Hydra reads the allocation from Slurm and starts its proxy with srun; SIGUSR1 to the batch
# shell goes through jobs/launch-guard.sh to mpiexec, which passes it to the ranks. Needs the
# MPICH build of infomax (make build-tests MPI=mpich; `make test` builds it in mpich-tests).

MPICH_BIN=${INFOMAX_MPICH:-$ROOT/.build-mpich/debug/infomax}
if ! command -v mpiexec.mpich >/dev/null || [ ! -x "$MPICH_BIN" ]; then
    say "mpiexec: skipped — no MPICH here (mpiexec.mpich, $MPICH_BIN)"
else
    LOG_HY="$WORK/mpiexec.out"
    HY_STEPS=3000  # the debug build: ~250 steps/s after the resume
    # Step 2 lasts 5 s more (INFOMAX_FAULTS slow; no value changes): the signal lands mid-run.
    J_HY=$(INFOMAX_FAULTS=slow=2:5 LAUNCHER=mpiexec INFOMAX="$MPICH_BIN" STEPS=$HY_STEPS EXTRA="$SMALL --mode multi-modal" \
        OUTPUT="$WORK/mpiexec" timeout 20 sbatch --parsable --output="$LOG_HY" "$ROOT/jobs/train.sbatch")
    problems=""
    if [ -z "$J_HY" ]; then problems="sbatch jobs/train.sbatch (LAUNCHER=mpiexec) failed; "
    elif ! wait_for_text "$LOG_HY" "step 1/$HY_STEPS" 120; then problems="job $J_HY did not start training within 120 s; "
    else
        sleep 0.5
        signal_batch "$J_HY" "$LOG_HY" || problems+="its batch shell never logged SIGUSR1; "
        wait_done "$J_HY" 300; state=$STATE
        [ "$state" = COMPLETED ] || problems+="job $J_HY ended $state; "
        [ "$(job_field "$J_HY" Restarts)" = 1 ] || problems+="job $J_HY restarted $(job_field "$J_HY" Restarts) times, expected 1; "
        grep -q "launch-guard.sh mpiexec" "$LOG_HY" || problems+="the log does not show mpiexec under jobs/launch-guard.sh; "
        grep -q "stopped by SIGUSR1" "$LOG_HY" || problems+="the ranks did not report SIGUSR1; "
        grep -q "requeueing job $J_HY" "$LOG_HY" || problems+="no requeue in the log; "
        resumed=$(summary_field "$WORK/mpiexec" resumed_from_step)
        [ -n "$resumed" ] && [ "${resumed%.*}" -gt 0 ] 2>/dev/null || problems+="not resumed (resumed_from_step '$resumed'); "
        [ "$(summary_field "$WORK/mpiexec" status)" = completed ] || problems+="summary.json status is not completed; "
    fi
    if [ -n "$problems" ]; then fail mpiexec "$problems" "$LOG_HY"; else
        say "mpiexec: job $J_HY under hydra stopped by SIGUSR1, requeued, resumed from step $resumed, completed"
        pass mpiexec
    fi
fi

# --- groups: a grouped sweep in one allocation (jobs/sweep-groups.sbatch) -------------------
# 4 tasks (--overcommit: the test node has 2 CPUs), 2 ranks per point: 8 points over 2 groups.

LOG_GROUPS="$WORK/groups.out"
J_GROUPS=$(RANKS_PER_POINT=2 GRID="--grid signal_noise.snr=0.05,0.2 --grid seed=1,2" EXTRA="$SMALL --set steps=60" \
    OUTPUT="$WORK/groups" timeout 20 sbatch --parsable --ntasks=4 --overcommit --output="$LOG_GROUPS" "$ROOT/jobs/sweep-groups.sbatch")
if [ -z "$J_GROUPS" ]; then
    fail groups "sbatch jobs/sweep-groups.sbatch failed"
else
    wait_done "$J_GROUPS" 180; state=$STATE
    problems=""
    grep -q "2 groups of 2 rank(s), 8 point(s) to run" "$LOG_GROUPS" || problems+="the log shows no 2 groups of 2 ranks; "
    for g in 0 1; do grep -q "on group $g " "$LOG_GROUPS" || problems+="group $g ran no point; "; done
    rows=$(grep -c ',completed,' "$WORK/groups/sweep.csv" 2>/dev/null)
    [ "${rows:-0}" = 8 ] || problems+="sweep.csv has ${rows:-0} completed rows, expected 8; "
    for f in "$WORK"/groups/points/*/points/*/summary.json "$WORK"/groups/points/*/summary.json; do
        [ -f "$f" ] || continue
        [ "$(summary_field "$(dirname "$f")" ranks)" = 2 ] || problems+="$(dirname "$f") ran on $(summary_field "$(dirname "$f")" ranks) rank(s), not 2; "
    done
    [ -s "$WORK/groups/report.html" ] || problems+="no report.html; "
    if [ "$state" != COMPLETED ]; then
        fail groups "job $J_GROUPS ended $state, exit code $(job_field "$J_GROUPS" ExitCode)" "$LOG_GROUPS"
    elif [ -n "$problems" ]; then
        fail groups "$problems" "$LOG_GROUPS"
    else
        pass groups
    fi
fi

# --- scaling: jobs/scaling.sbatch, one step per rank count, then the report -------------------

LOG_SCALING="$WORK/scaling.out"
J_SCALING=$(STUDY=strong D=256 WIDTH=32 BATCH=256 STEPS=3 WARMUP=1 OUTPUT="$WORK/scaling" \
    timeout 20 sbatch --parsable --ntasks=2 --output="$LOG_SCALING" "$ROOT/jobs/scaling.sbatch")
if [ -z "$J_SCALING" ]; then
    fail scaling "sbatch jobs/scaling.sbatch failed"
else
    wait_done "$J_SCALING" 60; state=$STATE
    problems=""
    for p in 1 2; do
        [ -s "$WORK/scaling/np-$p/bench.json" ] || problems+="no np-$p/bench.json; "
        if [ "$LAUNCHER" = srun ]; then
            grep -q -- "srun --mpi=pmix --ntasks=$p .* bench " "$LOG_SCALING" || problems+="the log shows no srun step of $p task(s); "
        else
            grep -q -- "mpirun -np $p .* bench " "$LOG_SCALING" || problems+="the log shows no mpirun -np $p; "
        fi
    done
    [ -s "$WORK/scaling/report.html" ] && grep -q "Parallel efficiency vs ranks" "$WORK/scaling/report.html" ||
        problems+="no report.html with the efficiency chart; "
    grep -q '"kind": "strong", "ranks": \[1,2\]' "$WORK/scaling/scaling.json" 2>/dev/null || problems+="scaling.json does not list ranks 1,2; "
    # scaling.csv: the header, then ranks 1 and 2; efficiency (column 5) 1 at one rank, positive at two.
    csv_check=$(awk -F, 'NR == 1 { if ($1 != "ranks" || $2 != "global_batch" || $3 != "seconds_per_step" || $5 != "efficiency") print "header " $0; next }
        { n++; r[n] = $1; e[n] = $5; if ($2 != 256) print "global_batch " $2 " at " $1 " ranks" }
        END { if (n != 2 || r[1] != 1 || r[2] != 2) print n " rows (ranks " r[1] "," r[2] "), expected ranks 1,2"
              else if (e[1] != 1 || !(e[2] > 0)) print "efficiency " e[1] "," e[2] }' "$WORK/scaling/scaling.csv" 2>&1)
    [ -n "$csv_check" ] && problems+="scaling.csv: $csv_check; "
    if [ "$state" != COMPLETED ]; then
        fail scaling "job $J_SCALING ended $state, exit code $(job_field "$J_SCALING" ExitCode)" "$LOG_SCALING"
    elif [ -n "$problems" ]; then
        fail scaling "$problems" "$LOG_SCALING"
    else
        pass scaling
    fi
fi

# --- experiment: jobs/experiment.sbatch, t1-grid on a tiny grid -------------------------------
# The experiment's config and table script with a 4-point grid (GRID: 2 seeds × both modes) of a
# small problem (EXTRA); 1 rank per point on 2 tasks, so both groups run points. (cmu-sweep takes
# the same path with another table script; one experiment keeps the check to ~5 s.)

LOG_EXP="$WORK/experiment.out"
J_EXP=$(EXPERIMENT=t1-grid GRID="--grid seed=1,2" EXTRA="$SMALL --set steps=30" OUTPUT="$WORK/t1-grid" \
    timeout 20 sbatch --parsable --output="$LOG_EXP" "$ROOT/jobs/experiment.sbatch")
if [ -z "$J_EXP" ]; then
    fail experiment "sbatch jobs/experiment.sbatch failed"
else
    wait_done "$J_EXP" 120; state=$STATE
    problems=""
    grep -q "experiment t1-grid, output $WORK/t1-grid, 1 rank(s) per point, then t1-grid.py" "$LOG_EXP" ||
        problems+="the log does not name t1-grid with 1 rank per point and its table script; "
    grep -q "2 groups of 1 rank(s), 4 point(s) to run" "$LOG_EXP" || problems+="the log shows no 2 groups for 4 points; "
    grep -q -- "--config $ROOT/jobs/configs/t1-grid.json" "$LOG_EXP" || problems+="the sweep did not get jobs/configs/t1-grid.json; "
    rows=$(grep -c ',completed,' "$WORK/t1-grid/sweep.csv" 2>/dev/null)
    [ "${rows:-0}" = 4 ] || problems+="sweep.csv has ${rows:-0} completed rows, expected 4; "
    [ -s "$WORK/t1-grid/report.html" ] || problems+="no report.html; "
    # t1-grid.py: one row per seed, every step logged (the t1-grid config's log_every = 1), the plot.
    [ "$(awk -F, 'NR > 1 && $NF + 0 == 1' "$WORK/t1-grid/t1.csv" 2>/dev/null | wc -l)" = 2 ] ||
        problems+="t1.csv does not have 2 rows logged every step; "
    for f in t1-summary.csv t1-scatter.svg; do [ -s "$WORK/t1-grid/$f" ] || problems+="no $f; "; done
    if [ "$state" != COMPLETED ] || [ "$(job_field "$J_EXP" ExitCode)" != 0:0 ]; then
        fail experiment "job $J_EXP ended $state, exit code $(job_field "$J_EXP" ExitCode)" "$LOG_EXP"
    elif [ -n "$problems" ]; then
        fail experiment "$problems" "$LOG_EXP"
    else
        pass experiment
    fi
fi

# --- timelimit (opt-in, SLURM_TIMELIMIT_TEST=1, 2-4 min): a real time limit --------------------
# --time=1 with --signal=B:USR1@50: slurmctld (which checks time limits every 30 s) signals the
# batch shell 10-40 s into each attempt; the job checkpoints, requeues, and repeats until the
# training (about 75 s, from the train job's speed) is done. Checks at least one restart, a resume from a checkpoint, a finished run.

if [ "${SLURM_TIMELIMIT_TEST:-0}" = 1 ]; then
    LOG_TL="$WORK/timelimit.out"
    # About 75 s of training at the speed the train job measured: more than one attempt can hold.
    sps=$(summary_field "$WORK/train/points/multi-modal" seconds_per_step)
    TL_STEPS=${TL_STEPS:-$(awk -v s="${sps:-0.0002}" 'BEGIN { n = int(75 / s); if (n < 20000) n = 20000; print n }')}
    say "timelimit: $TL_STEPS steps (~75 s) under --time=1 --signal=B:USR1@50"
    J_TL=$(STEPS=$TL_STEPS EXTRA="$SMALL --mode multi-modal --set log_every=1000" OUTPUT="$WORK/timelimit" \
        timeout 20 sbatch --parsable --time=1 --signal=B:USR1@50 --output="$LOG_TL" "$ROOT/jobs/train.sbatch")
    if [ -z "$J_TL" ]; then
        fail timelimit "sbatch jobs/train.sbatch --time=1 failed"
    else
        wait_done "$J_TL" 600; state=$STATE
        restarts=$(job_field "$J_TL" Restarts)
        resumed=$(summary_field "$WORK/timelimit" resumed_from_step)
        if [ "$state" != COMPLETED ]; then
            fail timelimit "job $J_TL ended $state after ${restarts:-?} restart(s)" "$LOG_TL"
        elif [ "${restarts:-0}" -lt 1 ] || ! grep -q "stopped by SIGUSR1" "$LOG_TL"; then
            fail timelimit "the time-limit warning never stopped the run (restarts ${restarts:-0}); more TL_STEPS?" "$LOG_TL"
        elif [ "$(summary_field "$WORK/timelimit" status)" != completed ] || [ -z "$resumed" ] || [ -e "$WORK/timelimit/checkpoint.ckpt" ]; then
            fail timelimit "the run folder is not a finished, resumed run" "$LOG_TL"
        else
            say "timelimit: $restarts restart(s) on the time-limit warning, finished (last resume at step $resumed)"
            pass timelimit
        fi
    fi
fi

[ "$FAILED" -eq 0 ] || say "failed: ${FAILED_NAMES[*]}"
# cleanup (trap EXIT) stops the cluster and prints the summary line.
