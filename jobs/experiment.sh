#!/usr/bin/env bash
# jobs/experiment.sh — runs one of the three paper experiments (E1, E2, E3) locally: the sweep
# over its grid inside one mpirun, then its report. Usage: jobs/experiment.sh e1|e2|e3 [ranks] [dir]
# The grids are here and in jobs/eN.sbatch; keep them in step.
set -euo pipefail
exp=${1:?usage: jobs/experiment.sh e1|e2|e3 [ranks] [output dir]}
ranks=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
bin=${INFOMAX:-$here/../.build/release/infomax}
case $exp in
  e1) config=e1-snr.json;          grid=(--grid signal_noise.snr=0.01,0.02,0.05,0.1,0.2 --grid seed=1,2,3) ;;
  e2) config=e2-condition.json;    grid=(--grid loss.kind=infonce,positive-only --grid seed=1,2,3) ;;
  e3) config=e3-cooccurrence.json; grid=(--grid cooccurrence.positives=augmentation,resampled --grid seed=1,2,3) ;;
  *) echo "unknown experiment '$exp': use e1, e2 or e3" >&2; exit 64 ;;
esac
out=${3:-runs/$exp}
export OPENBLAS_NUM_THREADS=1
mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$bin" sweep --config "$here/configs/$config" "${grid[@]}" \
  --output "$out" --progress none
"$bin" report "$out"
echo "report: $out/report.html"
