#!/bin/bash
# jobs/submit-sweep.sh — submits the SNR sweep: counts the grid's points with
# `infomax sweep --list` (the same grid every array task builds, from jobs/lib.sh), submits
# jobs/snr-sweep.sbatch as an array of exactly that size, then jobs/snr-sweep-collect.sbatch to
# run once every task succeeded. Prints the two job ids. Extra arguments go to both sbatch calls
# (e.g. --time=2:00:00 --partition=short).
#
#   jobs/submit-sweep.sh
#   SNRS=0.05,0.1 SEEDS=1,2 OUTPUT=runs/small-sweep jobs/submit-sweep.sh --time=0:20:00
#
# Settings: SNRS, SEEDS, CONFIG, EXTRA, INFOMAX, OUTPUT (default runs/snr-sweep-<date-time>),
# plus anything jobs/snr-sweep.sbatch reads; they are exported to the jobs. Run it where
# `infomax` can start (it runs `infomax sweep --list` as a single process here).
set -euo pipefail
JOBS_DIR=$(cd "$(dirname "$0")" && pwd)
export JOBS_DIR
# shellcheck source=jobs/lib.sh
source "$JOBS_DIR/lib.sh"
trap - USR1 TERM
jobs_setup
export INFOMAX
export OUTPUT=${OUTPUT:-runs/snr-sweep-$(date +%Y%m%d-%H%M%S)}
points=$(sweep_count)
array=$(sbatch --parsable --array="0-$((points - 1))" "$@" "$JOBS_DIR/snr-sweep.sbatch")
array=${array%%;*}
collect=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes "$@" "$JOBS_DIR/snr-sweep-collect.sbatch")
collect=${collect%%;*}
echo "sweep of $points points into $OUTPUT: array job $array, collecting job $collect"
echo "array=$array collect=$collect points=$points output=$OUTPUT"
