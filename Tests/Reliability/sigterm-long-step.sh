#!/bin/bash
# Tests/Reliability/sigterm-long-step.sh [INFOMAX] — a real `kill -TERM` to mpirun while a
# step longer than Open MPI's 2 s grace runs: step 2 is made 30 s longer by the test fault
# INFOMAX_FAULTS=slow=2:30 (Training/FaultPlan.swift), so the test does not depend on how fast
# the code is. Open MPI forwards SIGTERM and kills the ranks ~2 s later, inside the step.
# Checks: rank 0's watchdog thread put the last completed step's checkpoint (step 2, 8 MB of
# parameters with d 2048, m 1024) on disk within 1 s of the kill and of the SIGTERM reaching
# rank 0 (not asserted when the load average exceeds 4 per core: the rank's thread may then
# wait for a core longer than that), summary.json says `checkpointed` with that step, mpirun
# exits 1, and `--resume` ends with the uninterrupted run's metrics, bit for bit. Uses the
# release build by default (any build works: the steps are small but for the fault).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INFOMAX=${1:-$ROOT/.build/release/infomax}
[ -x "$INFOMAX" ] || { echo "reliability: $INFOMAX is not built (swift build -c release --product infomax)"; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d /tmp/infomax-sigterm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ARGS=(train --mode single-modal --steps 4 --set signal_noise.d=2048 --set encoder.width=1024 --set train_samples=256
      --set log_every=1 --set eval_every=0 --set probe_train_samples=64 --set test_samples=64 --progress lines)
MPIRUN=(mpirun -np 2 --oversubscribe --bind-to none)
fail() { echo "reliability: FAIL $*"; exit 1; }
field() { sed -n "s/^ *\"$2\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1/summary.json" 2>/dev/null | head -1; }
now() { date +%s.%N; }

"${MPIRUN[@]}" "$INFOMAX" "${ARGS[@]}" --output "$WORK/reference" > "$WORK/reference.log" 2>&1 || { cat "$WORK/reference.log"; fail "reference run"; }

OUT="$WORK/interrupted"
INFOMAX_FAULTS=slow=2:30 "${MPIRUN[@]}" "$INFOMAX" "${ARGS[@]}" --output "$OUT" > "$WORK/interrupted.log" 2>&1 &
MP=$!
# The fault's line: step 1's update is done, and step 2 runs for 30 s more (it outlasts the grace).
SLOW="infomax: test fault: rank 0 spends 30.0 s more in step 2"
for _ in $(seq 1 60000); do
    grep -q "^$SLOW" "$WORK/interrupted.log" && break
    kill -0 "$MP" 2>/dev/null || break
    sleep 0.01
done
grep -q "^$SLOW" "$WORK/interrupted.log" || { cat "$WORK/interrupted.log"; fail "step 2 did not start its fault"; }
[ -e "$OUT/checkpoint.ckpt" ] && fail "a checkpoint before the signal"
t0=$(now)
kill -TERM "$MP"
while [ ! -e "$OUT/checkpoint.ckpt" ] && kill -0 "$MP" 2>/dev/null; do sleep 0.005; done
t1=$(now)
wait "$MP"; rc=$?
t2=$(now)
on_disk=$(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }")
load=$(cut -d' ' -f1 /proc/loadavg); cores=$(nproc)
exit_s=$(awk "BEGIN { printf \"%.1f\", $t2 - $t0 }")
echo "reliability: kill -TERM mpirun: checkpoint on disk after $on_disk s, mpirun exit $rc after $exit_s s" \
     "(load $load on $cores cores)"
grep "^infomax: SIG" "$WORK/interrupted.log"
[ -e "$OUT/checkpoint.ckpt" ] || { cat "$WORK/interrupted.log"; fail "no checkpoint after SIGTERM"; }
# mpirun's kill sequence: SIGCONT to the ranks at once, SIGTERM 1 s later
# (odls_base_sigkill_timeout), SIGKILL 1 s after that. Rank 0 saves the last completed step on
# the SIGCONT, so the checkpoint is on disk within 1 s of the kill; and within 1 s of the
# SIGTERM reaching rank 0 (rank 0 prints that figure) for launchers that send SIGTERM alone.
at_rank=$(sed -n 's/.*on disk \([0-9.]*\) s after the signal reached rank 0.*/\1/p' "$WORK/interrupted.log" | head -1)
[ -n "$at_rank" ] || { cat "$WORK/interrupted.log"; fail "rank 0 did not report when the checkpoint reached the disk"; }
echo "reliability: checkpoint on disk $at_rank s after the signal reached rank 0"
if awk "BEGIN { exit !($load <= 4 * $cores) }"; then
    awk "BEGIN { exit !($at_rank < 1.0) }" || fail "the checkpoint reached the disk $at_rank s after the signal reached rank 0 (more than 1 s)"
    awk "BEGIN { exit !($on_disk < 1.0) }" || fail "the checkpoint reached the disk $on_disk s after kill -TERM mpirun (more than 1 s)"
else
    echo "reliability: load $load on $cores cores: the time bounds are not asserted"
fi
[ "$rc" = 1 ] || fail "mpirun exited $rc, expected 1 (Open MPI killed the ranks)"
[ "$(field "$OUT" status)" = checkpointed ] || fail "summary.json status '$(field "$OUT" status)', expected checkpointed"
# The watchdog saved step 2 (the last completed one) at the signal; the running step could not
# end inside the grace. --resume must start there.
done_steps=$(field "$OUT" steps_completed)
[ "$done_steps" = 2 ] || fail "summary.json steps_completed '$done_steps', expected 2"

"${MPIRUN[@]}" "$INFOMAX" "${ARGS[@]}" --output "$OUT" --resume > "$WORK/resumed.log" 2>&1 || { cat "$WORK/resumed.log"; fail "resume"; }
[ "$(field "$OUT" resumed_from_step)" = "$done_steps" ] || fail "resumed_from_step '$(field "$OUT" resumed_from_step)', expected $done_steps (summary.json's steps_completed)"
# Trajectory columns (everything but the *_seconds times) equal, as text.
cols() { awk -F, 'NR==1 { for (i = 1; i <= NF; i++) keep[i] = ($i !~ /_seconds$/) } { s = ""; for (i = 1; i <= NF; i++) if (keep[i]) s = s $i ","; print s }' "$1/metrics.csv"; }
diff <(cols "$WORK/reference") <(cols "$OUT") > "$WORK/diff" || { cat "$WORK/diff"; fail "the resumed run differs from the uninterrupted one"; }
echo "reliability: PASS sigterm-long-step (resumed from step $done_steps; metrics equal the uninterrupted run's)"
