#!/usr/bin/env bash
# jobs/scaling.sh — a strong or weak scaling study on this machine: `infomax bench` under mpirun
# at 1, 2, 4, … ranks up to max-ranks (default: the core count, and max-ranks itself), each into
# DIR/np-<P>/bench.json, DIR/scaling.json naming the study, then `infomax report DIR`
# (DIR/report.html, DIR/scaling.csv). The Slurm version is jobs/scaling.sbatch.
#
#   jobs/scaling.sh strong|weak|weak-data [max-ranks] [dir] [-- extra bench flags]
#   jobs/scaling.sh strong                       # --d 2048 --width 256 --batch 4096 at 1, 2 ranks on 2 cores
#   jobs/scaling.sh weak 4 runs/weak -- --exchange ring
#   SAMPLES_PER_RANK=500000000 jobs/scaling.sh weak-data   # n = 5·10^8 × ranks, mini-batch steps
#   RANKS=1,2,3 STEPS=20 jobs/scaling.sh strong 3
#
# Defaults fit a 2-core node (seconds per point). Settings (environment): RANKS, D, WIDTH, BATCH,
# BATCH_PER_RANK, SAMPLES_PER_RANK (weak-data), STEPS, WARMUP, EXTRA (see jobs/lib.sh), INFOMAX (default
# .build/release/infomax next to jobs/), OPENBLAS_NUM_THREADS (default 1). More ranks than cores
# run oversubscribed: they then measure contention for the cores, not scaling. DIR defaults to
# runs/scaling-<kind>. Exit status 0 when every rank count ran; 1 when one failed (the report
# covers the others) or all did.
set -uo pipefail
usage="usage: jobs/scaling.sh strong|weak|weak-data [max-ranks] [dir] [-- extra bench flags]"
kind=${1:-}
[ -n "$kind" ] && shift
positional=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do positional+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
extra=("$@")
if [ "${#positional[@]}" -gt 2 ]; then echo "$usage (put bench flags after --)" >&2; exit 64; fi
max=${positional[0]:-$(nproc)}
dir=${positional[1]:-runs/scaling-$kind}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=jobs/lib.sh
source "$here/lib.sh"
trap - USR1 TERM
case "$kind" in
    strong|weak|weak-data) ;;
    *) echo "$usage" >&2; exit 64 ;;
esac
INFOMAX=${INFOMAX:-$here/../.build/release/infomax}
LAUNCHER=mpirun
jobs_setup
scaling_plan "$kind" "$max" "${extra[@]}" || exit 64

launch=(mpirun --oversubscribe --bind-to none "${OMPI_KEEPALIVE[@]}" -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)
[ "$(id -u)" = 0 ] && launch+=(--allow-run-as-root)
mkdir -p "$dir" || exit 1
scaling_manifest "$dir" "$kind"
jobs_log "$kind scaling at ${SCALING_RANKS[*]} rank(s) into $dir: infomax bench ${SCALING_FLAGS[*]}"
failed=()
for p in "${SCALING_RANKS[@]}"; do
    scaling_point_start "$dir" "$p"
    jobs_log "${launch[*]} -np $p $INFOMAX bench ${SCALING_FLAGS[*]} --output $dir/np-$p"
    if ! "${launch[@]}" -np "$p" "$INFOMAX" bench "${SCALING_FLAGS[@]}" --output "$dir/np-$p"; then
        jobs_log "the bench failed at $p rank(s)"
        failed+=("$p")
    elif [ ! -s "$dir/np-$p/bench.json" ]; then
        jobs_log "the bench at $p rank(s) wrote no $dir/np-$p/bench.json"
        failed+=("$p")
    fi
done
scaling_finish "$dir" "$kind" "${failed[@]}"
