#!/usr/bin/env bash
# jobs/e2.sh — experiment E2 locally (see jobs/experiment.sh): jobs/e2.sh [ranks] [dir]
exec "$(dirname "$0")/experiment.sh" e2 "$@"
