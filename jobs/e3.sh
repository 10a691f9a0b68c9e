#!/usr/bin/env bash
# jobs/e3.sh — experiment E3 locally (see jobs/experiment.sh): jobs/e3.sh [ranks] [dir]
exec "$(dirname "$0")/experiment.sh" e3 "$@"
