#!/usr/bin/env bash
# jobs/e1.sh — experiment E1 locally (see jobs/experiment.sh): jobs/e1.sh [ranks] [dir]
exec "$(dirname "$0")/experiment.sh" e1 "$@"
