#!/usr/bin/env bash
# jobs/launch-guard.sh — runs an MPI launcher (mpirun, mpiexec, srun) and ends it when the ranks
# have reported a stall but the launcher does not end: a launcher that lost a host can wait on
# that host's daemon for many minutes after every rank it can reach has exited. Usage:
#   jobs/launch-guard.sh LAUNCHER ARGS...        e.g. jobs/launch-guard.sh mpiexec -n 64 infomax train ...
# The launcher's stdout and stderr pass through unchanged. Once a line of its stderr starts with
# `infomax: stall:` (the trainer's stall watchdog: rank 0 has written the last completed step's
# checkpoint and summary.json `stalled`, and the ranks are exiting with 74), the launcher gets
# LAUNCH_GUARD_GRACE seconds (default 10) to end by itself; then it gets SIGTERM, and SIGKILL 5 s
# later, and the guard exits 74 (the stall's exit code). Otherwise the guard exits with the
# launcher's status. SIGUSR1, SIGUSR2, SIGTERM, SIGINT and SIGHUP are passed on to the launcher.
#
# Why: hydra's mpiexec (MPICH) has no keepalive on its proxies' connections; with a host's link
# cut it never notices the host is gone and waits for its proxy forever. Open MPI's mpirun does
# the same with its default keepalive (300 s idle, 9 probes 20 s apart) when the stall watchdog
# ends the job before mpirun has noticed the lost host (see docs/cluster.md, "Losing a node").
set -uo pipefail

if [ $# -eq 0 ]; then
    echo "usage: jobs/launch-guard.sh LAUNCHER ARGS... (see the comment at the top of this file)" >&2
    exit 64
fi
grace=${LAUNCH_GUARD_GRACE:-10}
case "$grace" in
    '' | *[!0-9]*) echo "launch-guard: LAUNCH_GUARD_GRACE=$grace: give whole seconds" >&2; exit 64 ;;
esac
mark=$(mktemp "${TMPDIR:-/tmp}/launch-guard.XXXXXX") || exit 1
trap 'rm -f "$mark"' EXIT

# The launcher's stderr goes through a reader that copies it and notes the first stall line.
"$@" 2> >(
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line" >&2
        case "$line" in
            "infomax: stall:"*) [ -s "$mark" ] || date +%s > "$mark" ;;
        esac
    done
) &
child=$!
for sig in USR1 USR2 TERM INT HUP; do
    # shellcheck disable=SC2064
    trap "kill -$sig $child 2>/dev/null" "$sig"
done

ended_by_guard=""
while kill -0 "$child" 2>/dev/null; do
    if [ -s "$mark" ] && [ $(($(date +%s) - $(cat "$mark"))) -ge "$grace" ]; then
        echo "launch-guard: the ranks reported a stall $grace s ago and $1 is still running (waiting on a lost host?): ending it (SIGTERM, SIGKILL after 5 s)" >&2
        kill -TERM "$child" 2>/dev/null
        for _ in $(seq 1 20); do
            kill -0 "$child" 2>/dev/null || break
            sleep 0.25
        done
        kill -KILL "$child" 2>/dev/null
        ended_by_guard=1
        break
    fi
    sleep 0.25
done
# `wait` returns early (status > 128) when a trapped signal arrives: wait until the child is gone.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
rc=$?
if [ -n "$ended_by_guard" ]; then
    echo "launch-guard: $1 ended by the guard (its status $rc); exit 74 as the stall watchdog's ranks" >&2
    exit 74
fi
exit "$rc"
