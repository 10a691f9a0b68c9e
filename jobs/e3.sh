#!/usr/bin/env bash
# jobs/e3.sh — experiment E3 locally (see jobs/experiment.sh): jobs/e3.sh [ranks] [dir prefix]
# Four sweeps: spectral loss and NT-Xent (infonce), each with the positives (augmentation, the
# resampled oracle, guided) beside multi-modal, the guide's negative drops and its positive drop
# (DropFalsePositive); then the bound's quantities over k and the text leak (e3-bound).
set -euo pipefail
here=$(dirname "$0")
ranks=${1:-2}; prefix=${2:-runs/e3}
for exp in e3 e3-drops e3-infonce e3-infonce-drops e3-falsepos e3-infonce-falsepos e3-bound; do
  "$here/experiment.sh" "$exp" "$ranks" "$prefix${exp#e3}"
done
