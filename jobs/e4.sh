#!/usr/bin/env bash
# jobs/e4.sh — experiment E4 locally (see jobs/experiment.sh): the SNR × n phase diagram, then the
# τ × σ₀ one at the Figure-1 setting, on groups of 1 rank: jobs/e4.sh [ranks] [dir-prefix]
set -euo pipefail
here=$(dirname "$0")
ranks=${1:-2}; prefix=${2:-runs/e4}
"$here/experiment.sh" e4 "$ranks" "$prefix"
"$here/experiment.sh" e4-tau "$ranks" "$prefix-tau"
