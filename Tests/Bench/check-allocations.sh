#!/usr/bin/env bash
# check-allocations.sh — the release build's training step allocates nothing after warm-up:
# runs `infomax bench` (small sizes) and fails unless every rank reports 0 heap allocations
# per timed step by this project's code (malloc & co. of the process whose call stack does not
# pass through the MPI or the BLAS library); the allocations inside MPI (the library's
# collectives with gradient.allreduce = mpi: Open MPI 4.1 mallocs per MPI_Allreduce /
# MPI_Iallreduce; and with loss.reduce_scatter = mpi per MPI_Reduce_scatter) and inside BLAS
# (OpenBLAS's small-matrix sgemm kernels malloc a packing buffer per call: 2 per step at the
# Figure-1 size) are reported per check, not refused. Both
# gradient all-reduces at 1 and 2 ranks, both loss reduce-scatters at 2. At 1 rank: both
# candidate exchanges, single- and multi-modal. At 2 ranks: every loss form — symmetric or
# one direction (multi-modal), stop-gradient or not, every negative set, both exchanges, both
# modalities (single-modal has one direction); and mini-batch steps from n = 10^9 samples
# (the epoch shuffle computes each index, no table); the sigmoid loss, t and b fixed or
# learned; InfoNCE's learned temperature; the guided co-occurrence loss (the masked plan:
# guide-chosen positive and dropped negatives), InfoNCE with τ fixed or learned and the sigmoid
# form with t and b learned, and DropFalsePositive (its pairs chosen every step). The
# Figure-1 size (--batch 100 --d 2000 --width 50) at 1 and 2 ranks. Part of `make test`.
# Usage: Tests/Bench/check-allocations.sh [path/to/infomax]   (default .build/release/infomax)
set -euo pipefail
bin=${1:-.build/release/infomax}
[ -x "$bin" ] || { echo "check-allocations: $bin is not built (make build)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
status=0
# The problem size of every check; the Figure-1 checks at the end set their own.
size=(--d 256 --width 64 --batch 512)

# check NP EXCHANGE MODE [--set key=value ...]
check() {
    local np=$1 exchange=$2 mode=$3; shift 3
    local what="np=$np $exchange $mode${*:+ $*}"
    local out counts
    out=$("${mpirun[@]}" -np "$np" "$bin" bench "${size[@]}" --steps 3 --warmup 2 \
          --exchange "$exchange" --mode "$mode" --json "$@")
    # A missing field leaves its variable empty (grep fails; `|| true` keeps set -e from
    # ending the script without a word): no count is a FAIL below, no MPI / BLAS count is none.
    counts=$(grep -o '"allocations_per_step" : [0-9.e+-]*' <<<"$out" | awk '{print $3}' | sort -u | tr '\n' ' ' || true)
    mpi=$(grep -o '"mpi_allocations_per_step" : [0-9.e+-]*' <<<"$out" | awk '{print $3}' | sort -u | tr '\n' ' ' || true)
    blas=$(grep -o '"blas_allocations_per_step" : [0-9.e+-]*' <<<"$out" | awk '{print $3}' | sort -u | tr '\n' ' ' || true)
    what="$what${mpi:+ [inside MPI: ${mpi% }]}${blas:+ [inside BLAS: ${blas% }]}"
    if [ -z "$counts" ]; then
        echo "FAIL $what: no allocation count in the bench output"; status=1
    elif awk -v c="$counts" 'BEGIN { n = split(c, v, " "); for (i = 1; i <= n; i++) if (v[i] + 0 >= 1) exit 0; exit 1 }'; then
        echo "FAIL $what: allocations per step: $counts"; status=1
    elif [ "$counts" != "0 " ]; then
        echo "ok   $what: allocations per step $counts(sporadic)"
    else
        echo "ok   $what: 0 allocations per step on every rank"
    fi
}

for exchange in allgather ring; do
    for mode in multi-modal single-modal; do
        check 1 "$exchange" "$mode"
    done
done
for exchange in allgather ring; do
    for negatives in opposite-label all; do
        for sg in true false; do
            form=(--set "loss.negatives=\"$negatives\"" --set "loss.stop_gradient=$sg")
            check 2 "$exchange" multi-modal "${form[@]}" --set loss.symmetric=true
            check 2 "$exchange" multi-modal "${form[@]}" --set loss.symmetric=false
            check 2 "$exchange" single-modal "${form[@]}"
        done
    done
done
check 2 allgather multi-modal --train-samples 1000000000
# The sigmoid loss: both exchanges, symmetric (one pass) and single-modal, t and b fixed or learned.
for exchange in allgather ring; do
    for learn in false true; do
        sigmoid=(--set loss.kind=sigmoid --set loss.learn_scale=$learn --set loss.learn_bias=$learn)
        check 2 "$exchange" multi-modal "${sigmoid[@]}"
        check 2 "$exchange" single-modal "${sigmoid[@]}"
    done
done
# The loss's reduce-scatter of the candidates' gradient: the ring's or the library's (Open MPI's
# MPI_Reduce_scatter allocates inside MPI, reported apart), symmetric and one direction.
for reduce in ring mpi; do
    check 2 allgather multi-modal --set "loss.reduce_scatter=\"$reduce\""
    check 2 allgather multi-modal --set "loss.reduce_scatter=\"$reduce\"" --set loss.stop_gradient=false \
        --set loss.symmetric=false
done
for allreduce in ring mpi; do
    check 1 allgather multi-modal --set "gradient.allreduce=\"$allreduce\""
    check 2 allgather multi-modal --set "gradient.allreduce=\"$allreduce\""
    check 2 ring single-modal --set "gradient.allreduce=\"$allreduce\""
done
# InfoNCE's learned temperature: both exchanges and modalities, stop-gradient or not; cosine
# (rows normalised by the trainer) with the default stop-gradient.
for exchange in allgather ring; do
    for sg in true false; do
        learned=(--set loss.learn_temperature=true --set loss.stop_gradient=$sg)
        check 2 "$exchange" multi-modal "${learned[@]}"
        check 2 "$exchange" single-modal "${learned[@]}"
    done
    cosine=(--set loss.learn_temperature=true --set loss.similarity=cosine)
    check 2 "$exchange" multi-modal "${cosine[@]}"
    check 2 "$exchange" single-modal "${cosine[@]}"
done
# The guided (masked) loss, single-modal co-occurrence (the run trains its guide first; the
# guide's choices are made once for the full batch): τ fixed or learned, sigmoid t, b learned.
guided=(--set model=cooccurrence --set cooccurrence.positives=guided
    --set cooccurrence.negatives_drop=false-negatives --set loss.similarity=cosine)
for np in 1 2; do
    check "$np" allgather single-modal "${guided[@]}"
    check "$np" allgather single-modal "${guided[@]}" --set loss.learn_temperature=true
    check "$np" allgather single-modal "${guided[@]}" --set loss.kind=sigmoid --set loss.learn_scale=true \
        --set loss.learn_bias=true
    check "$np" allgather single-modal "${guided[@]}" --set cooccurrence.positives_drop=false-positives \
        --set cooccurrence.false_positive_fraction=0.1
done
# The Figure-1 size (README's figure; OpenBLAS's small-matrix kernels allocate there, apart).
size=(--batch 100 --d 2000 --width 50)
for np in 1 2; do
    check "$np" allgather multi-modal
    check "$np" allgather single-modal
done
exit $status
