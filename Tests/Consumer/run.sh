#!/usr/bin/env bash
# Tests/Consumer/run.sh — builds the package in this folder (it depends on InfoMaxMPI by path
# and uses its MPI library product) into its own scratch folder and runs its all-reduce at 2
# ranks under mpirun. Passes when the build works and rank 0 prints the expected sum.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="${CONSUMER_SCRATCH:-$root/.build-consumer}"
swift build --package-path "$here" --scratch-path "$scratch" --product mpi-consumer
flags=(--oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
out="$(OPENBLAS_NUM_THREADS=1 timeout 120 mpirun -np 2 "${flags[@]}" "$scratch/debug/mpi-consumer" 2>&1)" || {
  echo "$out"; echo "consumer: mpirun failed"; exit 1; }
echo "$out"
grep -qx "mpi-consumer: allreduce over 2 ranks = \[1, 2\]" <<<"$out" || { echo "consumer: wrong or missing sum"; exit 1; }
echo "consumer: OK (a package depending on InfoMaxMPI by path ran an all-reduce at 2 ranks)"
