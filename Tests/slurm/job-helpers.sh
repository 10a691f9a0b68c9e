# Tests/slurm/job-helpers.sh — waiting on and signalling Slurm jobs, sourced by the one-node
# Slurm harness (Tests/slurm/run.sh) and the multi-host one (Tests/multihost/slurm.sh). Every
# wait is bounded. Needs `say` (the sourcing harness's log line).

# The value of FIELD (e.g. JobState, Restarts, ExitCode) of job $1.
job_field() { timeout 10 scontrol show job "$1" 2>/dev/null | grep -o "\b$2=[^ ]*" | head -1 | cut -d= -f2; }

# Waits (up to $2 s) until job $1 reaches a final state; sets STATE to it. (No command
# substitution around waits: bash runs a trap only once the foreground command returns, so
# the harness stays interruptible by waiting only in short commands.)
wait_done() {
    local id=$1 limit=$2 t=0
    STATE=""
    while [ "$t" -lt $((limit * 2)) ]; do
        STATE=$(job_field "$id" JobState)
        case "$STATE" in
            COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) return 0 ;;
        esac
        sleep 0.5; t=$((t + 1))
    done
    STATE="${STATE:-UNKNOWN}(timeout)"
    return 1
}

# Waits (up to $3 s) until file $1 contains the text $2.
wait_for_text() {
    local t=0
    while [ "$t" -lt $(($3 * 4)) ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.25; t=$((t + 1))
    done
    return 1
}

# signal_batch JOB LOG: SIGUSR1 to JOB's batch shell, again (up to 3 times) until LOG shows that
# the shell's trap ran: on a loaded machine `scancel` can time out before slurmctld answers, and
# the job then trains to its end unsignalled (seen once in CI: restarts 0, no exit 75).
signal_batch() {
    local try
    for try in 1 2 3; do
        timeout 20 scancel --signal=USR1 --batch "$1" 2>/dev/null
        wait_for_text "$2" "] SIGUSR1" 20 && return 0
        say "signal_batch: job $1 shows no SIGUSR1 in its log after attempt $try"
    done
    return 1
}
