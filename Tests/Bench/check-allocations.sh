#!/usr/bin/env bash
# check-allocations.sh — the release build's training step allocates nothing after warm-up:
# runs `infomax bench` (small sizes) at 1 and 2 ranks with both candidate exchanges, single-
# and multi-modal, plus mini-batch steps from n = 10^9 samples (the epoch shuffle computes
# each index, no table), and fails unless every rank reports 0 heap allocations per timed step
# (malloc & co. of the whole process, Open MPI included). Part of `make test`.
# Usage: Tests/Bench/check-allocations.sh [path/to/infomax]   (default .build/release/infomax)
set -euo pipefail
bin=${1:-.build/release/infomax}
[ -x "$bin" ] || { echo "check-allocations: $bin is not built (make build)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
status=0
cases=()
for np in 1 2; do
    for exchange in allgather ring; do
        for mode in multi-modal single-modal; do cases+=("$np $exchange $mode full"); done
    done
done
cases+=("2 allgather multi-modal 1000000000")
for c in "${cases[@]}"; do
    read -r np exchange mode n <<<"$c"
    samples=()
    [ "$n" != full ] && samples=(--train-samples "$n")
    out=$("${mpirun[@]}" -np "$np" "$bin" bench --d 256 --width 64 --batch 512 --steps 3 --warmup 2 \
          --exchange "$exchange" --mode "$mode" "${samples[@]}" --json)
    counts=$(grep -o '"allocations_per_step" : [0-9.e+-]*' <<<"$out" | awk '{print $3}' | sort -u | tr '\n' ' ')
    if [ -z "$counts" ]; then
        echo "FAIL np=$np $exchange $mode (n: $n): no allocation count in the bench output"; status=1
    elif awk -v c="$counts" 'BEGIN { n = split(c, v, " "); for (i = 1; i <= n; i++) if (v[i] + 0 >= 1) exit 0; exit 1 }'; then
        echo "FAIL np=$np $exchange $mode (n: $n): allocations per step: $counts"; status=1
    elif [ "$counts" != "0 " ]; then
        echo "ok   np=$np $exchange $mode (n: $n): allocations per step $counts(sporadic, inside Open MPI)"
    else
        echo "ok   np=$np $exchange $mode (n: $n): 0 allocations per step on every rank"
    fi
done
exit $status
