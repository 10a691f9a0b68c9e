# jobs/lib.sh — what the batch scripts share: the binary and thread settings, launching the
# ranks (srun --mpi=pmix, or mpirun inside the allocation), forwarding Slurm's warning signal
# to them, requeueing the job when the trainer checkpointed (exit 75), and the SNR grid.
# Also the scaling study: its rank counts and bench options, scaling.json, and the report.
# Sourced by jobs/*.sbatch; takes its settings from the environment (see jobs_setup).

# Exit status of `infomax` after it wrote a checkpoint on SIGUSR1/SIGTERM (EX_TEMPFAIL).
readonly EXIT_CHECKPOINTED=75

# Open MPI's failure detection for every mpirun of jobs/: TCP keepalive on mpirun's daemon
# connections (3 s idle, then 3 probes 2 s apart), so a node whose network dies is declared lost
# in ~9 s and the job ends naming it. With Open MPI's defaults (300 s, 9 × 20 s) mpirun waits on
# the lost node's daemon for minutes, also after the stall watchdog ended the ranks (measured:
# still running 197 s after the cut; see docs/cluster.md, "Losing a node").
OMPI_KEEPALIVE=(--mca oob_tcp_keepalive_time 3 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3)

# The folder of jobs/ (launch-guard.sh), wherever the batch script was copied to by Slurm.
JOBS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

jobs_log() { echo "[job ${SLURM_JOB_ID:-local}$(date '+ %H:%M:%S')] $*"; }

# Settings (environment variables, all optional):
#   INFOMAX        the binary (default: .build/release/infomax of the submit folder, else on PATH)
#   LAUNCHER       srun (default) | mpirun | mpiexec — mpirun (Open MPI) is the fallback when srun
#                  lacks PMIx; mpiexec is MPICH's hydra (an INFOMAX built with MPI=mpich)
#   MPI_PLUGIN     srun's --mpi plugin (default pmix)
#   MPIEXEC        LAUNCHER=mpiexec's command, split on spaces (default mpiexec.mpich if on PATH,
#                  else mpiexec); it gets `-n RANKS` and the program
#   LAUNCH_GUARD   1 (default): run the launcher under jobs/launch-guard.sh (see jobs_launcher);
#                  0: run it directly
#   OPENBLAS_NUM_THREADS / OMP_NUM_THREADS   BLAS threads per rank (default: --cpus-per-task, else 1)
#   MAX_REQUEUES   stop requeueing after this many restarts (default 20)
jobs_setup() {
    local threads=${SLURM_CPUS_PER_TASK:-1}
    export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$threads}
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$threads}
    if [ -z "${INFOMAX:-}" ]; then
        if [ -x "${SLURM_SUBMIT_DIR:-.}/.build/release/infomax" ]; then
            INFOMAX="${SLURM_SUBMIT_DIR:-.}/.build/release/infomax"
        elif command -v infomax >/dev/null; then
            INFOMAX=$(command -v infomax)
        else
            jobs_log "error: no infomax binary: set INFOMAX=/path/to/infomax, or submit from the package folder after 'make build'"
            exit 64
        fi
    fi
    [ -x "$INFOMAX" ] || { jobs_log "error: INFOMAX=$INFOMAX is not an executable"; exit 64; }
    LAUNCHER=${LAUNCHER:-srun}
    MPI_PLUGIN=${MPI_PLUGIN:-pmix}
    MAX_REQUEUES=${MAX_REQUEUES:-20}
    case "$LAUNCHER" in
        srun|mpirun|mpiexec) ;;
        *) jobs_log "error: LAUNCHER=$LAUNCHER: use srun, mpirun (Open MPI) or mpiexec (MPICH's hydra)"; exit 64 ;;
    esac
    case "${LAUNCH_GUARD:-1}" in
        0|1) ;;
        *) jobs_log "error: LAUNCH_GUARD=$LAUNCH_GUARD: use 1 (the default) or 0"; exit 64 ;;
    esac
    [ -n "${SLURM_JOB_ID:-}" ] && jobs_log "host $(hostname -s), ${SLURM_NTASKS:-1} rank(s) via $LAUNCHER, $OPENBLAS_NUM_THREADS BLAS thread(s) per rank, restart ${SLURM_RESTART_COUNT:-0}, binary $INFOMAX"
    return 0
}

# The command line that starts "$@" on every task of the allocation, run by jobs/launch-guard.sh
# (unless LAUNCH_GUARD=0): once a rank prints the stall watchdog's `infomax: stall:` line (rank 0
# has written the last completed step's checkpoint, the ranks exit 74), the guard gives the
# launcher 10 s to end, then ends it and exits 74, so jobs_finish requeues from the checkpoint
# instead of the job sitting until its time limit. Where it matters:
#   mpiexec (MPICH's hydra)  always: hydra has no keepalive on its proxies' connections and
#                  waits for ever on a proxy whose host lost its network (docs/cluster.md,
#                  "Losing a node"); the guard is what ends such a job.
#   srun           a rank hung on a healthy node (stopped, stuck in a dead file system): Slurm
#                  sees nothing wrong with the node, and srun waits for every task (without
#                  --kill-on-bad-exit, which the scripts leave off: it would end the step at
#                  the first rank's exit, also a 75 that may come before rank 0's checkpoint is
#                  on disk); a lost node is Slurm's (SlurmdTimeout: node down, job requeued).
#   mpirun (Open MPI)  a safety net only: Open MPI ends the job when a rank exits non-zero,
#                  and OMPI_KEEPALIVE makes it notice a lost node in ~9 s, before the stall
#                  timeout; the guard then never acts.
# The guard passes SIGUSR1/SIGUSR2/SIGTERM/SIGINT/SIGHUP on and exits with the launcher's status.
jobs_launcher() {
    if [ "$LAUNCHER" = srun ]; then
        LAUNCH=(srun --mpi="$MPI_PLUGIN" --ntasks="${SLURM_NTASKS:-1}")
    elif [ "$LAUNCHER" = mpiexec ]; then
        # Hydra reads the allocation from Slurm (its slurm launcher starts the proxies with srun)
        # and passes the environment on (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS).
        local mpiexec
        if [ -n "${MPIEXEC:-}" ]; then
            # MPIEXEC is split on white space on purpose (a command and its options).
            # shellcheck disable=SC2206
            mpiexec=($MPIEXEC)
        elif command -v mpiexec.mpich >/dev/null; then
            mpiexec=(mpiexec.mpich)
        else
            mpiexec=(mpiexec)
        fi
        LAUNCH=("${mpiexec[@]}" -n "${SLURM_NTASKS:-1}")
    else
        # Open MPI's mpirun reads the allocation from Slurm; as root it must be told it may run.
        LAUNCH=(mpirun -np "${SLURM_NTASKS:-1}" --bind-to none "${OMPI_KEEPALIVE[@]}" -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)
        [ "$(id -u)" = 0 ] && LAUNCH+=(--allow-run-as-root)
    fi
    [ "${LAUNCH_GUARD:-1}" = 1 ] && LAUNCH=("$JOBS_LIB_DIR/launch-guard.sh" "${LAUNCH[@]}")
    return 0
}

# --- the warning signal ------------------------------------------------------------------
# With `#SBATCH --signal=B:USR1@120` Slurm signals only this batch shell, 120 s before the
# time limit. The trap passes SIGUSR1 on to the launcher (srun and mpirun both forward it to
# every rank); the trainer's ranks agree at the next step, rank 0 writes the checkpoint and
# they exit 75. SIGTERM (scancel, or the time limit itself) is passed on as SIGUSR1 too.
JOBS_CHILD=""
JOBS_STOP=""
jobs_forward() {
    JOBS_STOP=$1
    if [ -n "$JOBS_CHILD" ] && kill -0 "$JOBS_CHILD" 2>/dev/null; then
        jobs_log "SIG$1: asking the ranks to checkpoint (SIGUSR1 to $LAUNCHER, pid $JOBS_CHILD)"
        kill -USR1 "$JOBS_CHILD" 2>/dev/null
    else
        jobs_log "SIG$1 with no step running"
    fi
}
trap 'jobs_forward USR1' USR1
trap 'jobs_forward TERM' TERM

# Runs "$@" on every task in the background (so the trap can run while it does) and returns
# its exit status. srun returns the largest exit status of its tasks: 75 when they all
# checkpointed.
jobs_run() {
    jobs_launcher
    if [ -n "$JOBS_STOP" ]; then
        jobs_log "SIG$JOBS_STOP arrived before the ranks started; not starting them"
        return "$EXIT_CHECKPOINTED"
    fi
    jobs_log "${LAUNCH[*]} $*"
    "${LAUNCH[@]}" "$@" &
    JOBS_CHILD=$!
    # `wait` returns early (status > 128) whenever a trapped signal arrives; wait again until
    # the launcher is gone, then collect its own status (bash keeps it).
    while kill -0 "$JOBS_CHILD" 2>/dev/null; do wait "$JOBS_CHILD"; done
    wait "$JOBS_CHILD"
    local rc=$?
    JOBS_CHILD=""
    return $rc
}

# Whether the run folder $1 (or a point of it) holds a summary.json whose status says it can
# resume — `checkpointed` (a signal, a dead launcher) or `stalled` (the stall watchdog ended
# the job, exit 74) — next to its checkpoint.ckpt. The exit code alone does not tell: mpirun
# reports 1, not the ranks' 75, when Open MPI killed the ranks 2 s after forwarding SIGTERM,
# although rank 0 had already written the checkpoint and summary.json; MPICH's hydra
# (mpiexec.mpich 4.0.2) sometimes exits 0 after forwarding SIGUSR1 although every rank exited 75.
jobs_resumable() {
    local dir=${1:-} f
    [ -n "$dir" ] && [ -d "$dir" ] || return 1
    while IFS= read -r f; do
        if grep -Eq '"status" *: *"(checkpointed|stalled)"' "$f" && [ -f "$(dirname "$f")/checkpoint.ckpt" ]; then
            return 0
        fi
    done < <(find "$dir" -maxdepth 3 -name summary.json 2>/dev/null)
    return 1
}

# Ends the batch script after a step's exit status `rc`, for the run folder `dir` (optional):
# 75, or any status (0 included) with a resumable summary.json in `dir` (see jobs_resumable) →
# requeue this job (it restarts with --resume from the checkpoint); else 0 → done, or fail with
# the status.
jobs_finish() {
    local rc=$1 dir=${2:-}
    if [ "$rc" != "$EXIT_CHECKPOINTED" ] && jobs_resumable "$dir"; then
        jobs_log "exit status $rc, but $dir has a checkpoint and summary.json says it can resume"
        rc=$EXIT_CHECKPOINTED
    fi
    if [ "$rc" = 0 ]; then
        jobs_log "finished"
        exit 0
    fi
    if [ "$rc" = "$EXIT_CHECKPOINTED" ]; then
        if [ -z "${SLURM_JOB_ID:-}" ]; then
            jobs_log "checkpointed (not under Slurm: run the script again to resume)"
            exit "$rc"
        fi
        if [ "${SLURM_RESTART_COUNT:-0}" -ge "$MAX_REQUEUES" ]; then
            jobs_log "checkpointed, but the job was already restarted $SLURM_RESTART_COUNT times (MAX_REQUEUES); not requeueing"
            exit "$rc"
        fi
        jobs_log "checkpointed; requeueing job $SLURM_JOB_ID (it resumes from the checkpoint)"
        if scontrol requeue "$SLURM_JOB_ID"; then
            exit 0
        fi
        jobs_log "error: scontrol requeue failed (submit with --requeue, or JobRequeue=1); resubmit by hand to resume"
        exit "$rc"
    fi
    jobs_log "failed with exit status $rc"
    exit "$rc"
}

# --- the SNR sweep grid ------------------------------------------------------------------
# One definition for every array task, the collecting job and the submit helper, so they all
# number the points alike. Settings:
#   SNRS   signal_noise.snr values (default 0.02,0.05,0.1,0.2)
#   SEEDS  seeds (default 1,2,3)
#   CONFIG a base JSON config; EXTRA more options (e.g. "--set signal_noise.d=500")
# With the default mode (compare) the sweep adds both modalities: 4 × 3 × 2 = 24 points.
sweep_args() {
    SWEEP_ARGS=(--grid "signal_noise.snr=${SNRS:-0.02,0.05,0.1,0.2}" --grid "seed=${SEEDS:-1,2,3}")
    [ -n "${CONFIG:-}" ] && SWEEP_ARGS+=(--config "$CONFIG")
    # EXTRA is split on white space on purpose (several options in one variable).
    # shellcheck disable=SC2206
    [ -n "${EXTRA:-}" ] && SWEEP_ARGS+=($EXTRA)
    return 0
}

# The number of grid points (`infomax sweep --list` prints one line per point).
sweep_count() {
    sweep_args
    local listing
    listing=$("$INFOMAX" sweep "${SWEEP_ARGS[@]}" --list) || return 1
    printf '%s\n' "$listing" | grep -c .
}

# --- the scaling study (jobs/scaling.sh locally, jobs/scaling.sbatch on Slurm) -----------
# `infomax bench` at each rank count into DIR/np-<P>/bench.json, DIR/scaling.json naming the
# study, then `infomax report DIR` (report.html, scaling.csv). Settings (environment):
#   RANKS            rank counts, comma-separated (default 1, 2, 4, … up to the maximum, and the maximum)
#   D, WIDTH         patch dimension and encoder width (default 2048, 256; `infomax bench` applies
#                    them over a --config file's values too)
#   BATCH            strong: the global batch, fixed for every rank count (default 4096)
#   BATCH_PER_RANK   weak: the batch per rank, global batch = BATCH_PER_RANK × ranks (default 2048)
#   STEPS, WARMUP    timed and warm-up steps per rank count (default 5, 2)
#   EXTRA            more `infomax bench` options, split on spaces (e.g. "--exchange ring");
#                    a flag given there (or after -- to jobs/scaling.sh) replaces its default

# Whether the option $1 occurs in the remaining arguments (as `--x v` or `--x=v`).
scaling_has_flag() {
    local flag=$1 a
    shift
    for a in "$@"; do
        [ "$a" = "$flag" ] || [ "${a%%=*}" = "$flag" ] && return 0
    done
    return 1
}

# scaling_plan KIND MAX [EXTRA BENCH FLAGS...]: sets SCALING_RANKS (rank counts, ascending) and
# SCALING_FLAGS (the `infomax bench` options of every point). Returns 64 with a message when
# the kind, a rank count or a batch flag does not fit. KIND weak-data is weak scaling of the
# data set too: mini-batch steps from n = SAMPLES_PER_RANK (default 10^8) × ranks training
# samples (--train-samples-per-rank), so the ideal time per step stays flat as n grows.
scaling_plan() {
    local kind=$1 max=$2 p
    shift 2
    local extra=("$@")
    # EXTRA is split on white space on purpose (several options in one variable).
    # shellcheck disable=SC2206
    [ -n "${EXTRA:-}" ] && extra=($EXTRA "${extra[@]}")
    case "$kind" in
        strong|weak|weak-data) ;;
        *) jobs_log "error: the study is '$kind': use strong (fixed global batch), weak (fixed batch per rank) or weak-data (fixed batch and training samples per rank)"; return 64 ;;
    esac
    if ! [[ "$max" =~ ^[1-9][0-9]*$ ]]; then
        jobs_log "error: the maximum rank count is '$max': give a positive whole number"; return 64
    fi
    SCALING_RANKS=()
    if [ -n "${RANKS:-}" ]; then
        for p in ${RANKS//,/ }; do
            if ! [[ "$p" =~ ^[1-9][0-9]*$ ]] || [ "$p" -gt "$max" ]; then
                jobs_log "error: RANKS=$RANKS: '$p' is not a rank count from 1 to $max"; return 64
            fi
            SCALING_RANKS+=("$p")
        done
        mapfile -t SCALING_RANKS < <(printf '%s\n' "${SCALING_RANKS[@]}" | sort -n -u)
    else
        for ((p = 1; p < max; p *= 2)); do SCALING_RANKS+=("$p"); done
        SCALING_RANKS+=("$max")
    fi
    if [ "$kind" = strong ] && scaling_has_flag --batch-per-rank "${extra[@]}"; then
        jobs_log "error: a strong-scaling study fixes the global batch: give --batch (or BATCH=), not --batch-per-rank"; return 64
    fi
    if [ "$kind" = weak-data ] && scaling_has_flag --train-samples "${extra[@]}"; then
        jobs_log "error: a weak-data study grows the training set with the ranks: give SAMPLES_PER_RANK= (or --train-samples-per-rank), not --train-samples"; return 64
    fi
    if [ "$kind" != strong ] && scaling_has_flag --batch "${extra[@]}"; then
        jobs_log "error: a weak-scaling study fixes the batch per rank: give --batch-per-rank (or BATCH_PER_RANK=), not --batch"; return 64
    fi
    SCALING_FLAGS=()
    scaling_has_flag --d "${extra[@]}" || SCALING_FLAGS+=(--d "${D:-2048}")
    scaling_has_flag --width "${extra[@]}" || SCALING_FLAGS+=(--width "${WIDTH:-256}")
    if [ "$kind" = strong ]; then
        scaling_has_flag --batch "${extra[@]}" || SCALING_FLAGS+=(--batch "${BATCH:-4096}")
    else
        scaling_has_flag --batch-per-rank "${extra[@]}" || SCALING_FLAGS+=(--batch-per-rank "${BATCH_PER_RANK:-2048}")
    fi
    if [ "$kind" = weak-data ]; then
        scaling_has_flag --train-samples-per-rank "${extra[@]}" || SCALING_FLAGS+=(--train-samples-per-rank "${SAMPLES_PER_RANK:-100000000}")
    fi
    scaling_has_flag --steps "${extra[@]}" || SCALING_FLAGS+=(--steps "${STEPS:-5}")
    scaling_has_flag --warmup "${extra[@]}" || SCALING_FLAGS+=(--warmup "${WARMUP:-2}")
    SCALING_FLAGS+=("${extra[@]}")
    return 0
}

# A JSON string of $1.
scaling_json_string() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

# scaling_manifest DIR KIND [FAILED RANK COUNTS...]: writes DIR/scaling.json (atomically) for
# SCALING_RANKS and SCALING_FLAGS, which `infomax report DIR` reads.
scaling_manifest() {
    local dir=$1 kind=$2 sep="" a p
    shift 2
    local json
    # weak-data is a weak study for the report (fixed load per rank); its name stays in "study".
    json="{\"schema\": \"infomax-scaling/1\", \"kind\": \"${kind/#weak-data/weak}\", \"ranks\": [$(IFS=,; echo "${SCALING_RANKS[*]}")], \"bench_flags\": ["
    for a in "${SCALING_FLAGS[@]}"; do json+="$sep$(scaling_json_string "$a")"; sep=", "; done
    json+="], \"study\": $(scaling_json_string "$kind"), \"launcher\": $(scaling_json_string "${LAUNCHER:-mpirun}"), \"host\": $(scaling_json_string "$(hostname -s)")"
    json+=", \"created\": $(scaling_json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    [ -n "${SLURM_JOB_ID:-}" ] && json+=", \"slurm_job_id\": $(scaling_json_string "$SLURM_JOB_ID")"
    if [ $# -gt 0 ]; then
        json+=", \"failed\": ["; sep=""
        for p in "$@"; do json+="$sep$p"; sep=", "; done
        json+="]"
    fi
    json+="}"
    printf '%s\n' "$json" > "$dir/.scaling.json.tmp" && mv -f "$dir/.scaling.json.tmp" "$dir/scaling.json"
}

# scaling_point_start DIR P: an empty DIR/np-P (no stale bench.json from an earlier study).
scaling_point_start() {
    mkdir -p "$1/np-$2" && rm -f "$1/np-$2/bench.json" "$1/np-$2/bench.csv"
}

# scaling_finish DIR KIND [FAILED RANK COUNTS...]: records the failed rank counts in
# scaling.json, writes the report, and exits: 0 when every rank count ran, else 1 (the report
# still covers the others); 1 without a report when none ran.
scaling_finish() {
    local dir=$1 kind=$2
    shift 2
    scaling_manifest "$dir" "$kind" "$@"
    if [ $# -ge "${#SCALING_RANKS[@]}" ]; then
        jobs_log "error: the bench failed at every rank count (${SCALING_RANKS[*]}); no report"
        exit 1
    fi
    if ! "$INFOMAX" report "$dir"; then
        jobs_log "error: infomax report $dir failed"
        exit 1
    fi
    jobs_log "report: $dir/report.html, table: $dir/scaling.csv"
    if [ $# -gt 0 ]; then
        jobs_log "error: the bench failed at $* rank(s); the report covers the other rank counts"
        exit 1
    fi
    jobs_log "finished"
    exit 0
}
