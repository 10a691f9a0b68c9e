#!/usr/bin/env bash
# run-allreduce-bench.sh — the Swift MPI wrapper's overhead: builds the plain C all-reduce
# benchmark (allreduce_c.c) with mpicc and runs it at 2 ranks, alternating with the Swift
# wrapper's benchmark (`infomax bench allreduce`) when .build/release/infomax exists.
# Usage: Tests/Bench/run-allreduce-bench.sh [rounds=3] [megabytes=16] [repetitions=50 (C side)]
# (run from the package root; build the Swift side first with `swift build -c release`).
set -euo pipefail

ROUNDS=${1:-3}
MEGABYTES=${2:-16}
REPS=${3:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${TMPDIR:-/tmp}/infomax-bench
mkdir -p "$OUT"

export OPENBLAS_NUM_THREADS=1
# Same transport setting as the multi-rank tests (Launcher.swift); override from the environment.
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
MPIRUN=(mpirun -np 2 --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then MPIRUN+=(--allow-run-as-root); fi

mpicc -O2 -o "$OUT/allreduce_c" "$HERE/allreduce_c.c"

SWIFT_BIN="$ROOT/.build/release/infomax"
if [ ! -x "$SWIFT_BIN" ]; then
    echo "note: $SWIFT_BIN not built (swift build -c release); running the C baseline only" >&2
fi

for ((i = 1; i <= ROUNDS; i++)); do
    echo "# round $i"
    "${MPIRUN[@]}" "$OUT/allreduce_c" "$MEGABYTES" "$REPS"
    if [ -x "$SWIFT_BIN" ]; then
        "${MPIRUN[@]}" "$SWIFT_BIN" bench allreduce --megabytes "$MEGABYTES"
    fi
done
