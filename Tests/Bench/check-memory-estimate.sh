#!/usr/bin/env bash
# check-memory-estimate.sh — the memory estimate that refuses runs too big to fit (issue 12)
# agrees with what the release build really uses: runs `infomax bench` at two sizes on 2 ranks
# (data buffers dominate one; the encoders' activations and the loss buffers the other), with
# InfoNCE and with the sigmoid loss, and the guided co-occurrence loss (learned τ; sigmoid), and
# fails unless every rank's estimated peak lies within 25% of its measured peak RSS
# (getrusage). Part of `make test` (bench-check).
# Usage: Tests/Bench/check-memory-estimate.sh [path/to/infomax]   (default .build/release/infomax)
set -euo pipefail
bin=${1:-.build/release/infomax}
[ -x "$bin" ] || { echo "check-memory-estimate: $bin is not built (make build)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
sizes=("--d 2048 --width 128 --batch 4096" "--d 512 --width 512 --batch 4096 --mode single-modal --exchange ring"
    "--d 2048 --width 128 --batch 4096 --set loss.kind=sigmoid --set loss.learn_scale=true"
    "--d 512 --width 512 --batch 4096 --mode single-modal --exchange ring --set loss.kind=sigmoid"
    "--width 512 --batch 8192 --mode single-modal --set model=cooccurrence --set cooccurrence.positives=guided --set loss.learn_temperature=true"
    "--width 512 --batch 8192 --mode single-modal --set model=cooccurrence --set cooccurrence.positives=guided --set loss.kind=sigmoid --set loss.learn_scale=true")
for i in "${!sizes[@]}"; do
    # shellcheck disable=SC2086
    "${mpirun[@]}" -np 2 "$bin" bench ${sizes[$i]} --steps 1 --warmup 1 --json --output "$dir/$i" >/dev/null
    # One line per rank from bench.csv: measured and estimated peak.
    if ! awk -F, -v size="${sizes[$i]}" '
        NR == 1 { for (c = 1; c <= NF; c++) { if ($c == "peak_rss_bytes") m = c; if ($c == "estimated_peak_bytes") e = c }; next }
        { if (!m || !e || $m <= 0 || $e == "") { print "FAIL " size ": no peak / estimate in bench.csv"; bad = 1; next }
          r = $e / $m
          printf "%s %s rank %s: estimated %.1f MB, measured %.1f MB, ratio %.3f\n", (r >= 0.75 && r <= 1.25) ? "ok  " : "FAIL", size, $1, $e / 1e6, $m / 1e6, r
          if (r < 0.75 || r > 1.25) bad = 1 }
        END { exit bad }' "$dir/$i/bench.csv"; then
        status=1
    fi
done
exit $status
