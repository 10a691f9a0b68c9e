#!/usr/bin/env bash
# jobs/experiment.sh — runs one of the paper experiments (E1–E4) locally: the sweep over its
# grid inside one mpirun, then its report. Usage:
#   jobs/experiment.sh e1|e2|e3|e3-drops|e3-infonce|e3-infonce-drops|e3-falsepos|e3-infonce-falsepos|
#                      e3-bound|e4|e4-tau|e4-sigmoid|fig1-temperature|fig1-sigmoid|t1-grid|cmu-sweep [ranks] [dir]
# RANKS_PER_POINT=k runs the points on groups of k ranks at once (default: e3*, e4 and e4-tau 1,
# the others all ranks). The grids are here and in jobs/eN.sbatch; keep them in step.
# Under Slurm: EXPERIMENT=t1-grid sbatch jobs/experiment.sbatch (any name above; one allocation,
# checkpoint and requeue on the time-limit warning, then the table script), which reads the
# sweep from `jobs/experiment.sh --sweep-args NAME`: the default ranks per point ("all" or a
# number), the table script (or an empty line), then the `infomax sweep` arguments, one a line.
set -euo pipefail
sweep_args_only=""
if [ "${1:-}" = --sweep-args ]; then sweep_args_only=1; shift; fi
exp=${1:?usage: jobs/experiment.sh e1|e2|e3 [ranks] [output dir]}
ranks=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
bin=${INFOMAX:-$here/../.build/release/infomax}
case $exp in
  e1) config=e1-snr.json;          grid=(--grid signal_noise.snr=0.01,0.02,0.05,0.1,0.2 --grid seed=1,2,3) ;;
  # E2: the same runs probed on the same view (the default) and across views (fair: chance untrained).
  e2) config=e2-condition.json;    grid=(--grid loss.kind=infonce,positive-only --grid latent_linear.probe=same-view,cross-view --grid seed=1,2,3) ;;
  # E3: Zhang et al.; the positives (augmentation, the resampled oracle, the guided recipe) with
  # the multi-modal run, then the guide's negative drops (single-modal); spectral loss, and the
  # authors' NT-Xent (e3-infonce*: cosine, τ = 0.1); the guide's positive drop (DropFalsePositive);
  # and the bound's quantities (σ_{k+1}, labeling error) beside the probe as k and the text leak vary.
  e3|e3-infonce|e3-drops|e3-infonce-drops|e3-falsepos|e3-infonce-falsepos|e3-bound)
      case $exp in e3-infonce*) config=e3-infonce.json ;; *) config=e3-cooccurrence.json ;; esac
      case $exp in
        *-drops) grid=(--grid mode=single-modal --grid cooccurrence.negatives_drop=false-negatives,easy-negatives --grid seed=1,2,3) ;;
        *-falsepos) grid=(--grid mode=single-modal --grid cooccurrence.positives_drop=false-positives --grid seed=1,2,3) ;;
        e3-bound) grid=(--grid mode=multi-modal --grid encoder.width=2,3,5,8 --grid cooccurrence.text_leak=0.05,0.3,0.6 --grid seed=1,2,3) ;;
        *)       grid=(--grid cooccurrence.positives=augmentation,resampled,guided --grid seed=1,2,3) ;;
      esac
      per_point=${RANKS_PER_POINT:-1} ;;
  # E4: the phase diagram of Huang et al.'s claim, test-accuracy gap over SNR × n, and over the
  # unreported τ × σ₀ at the Figure-1 setting (‖μ‖ = 5, n = 100).
  e4) config=e4-phase.json;        grid=(--grid signal_noise.snr=0.03,0.05,0.08,0.12,0.2 --grid train_samples=50,100,200 --grid seed=1,2,3)
      per_point=${RANKS_PER_POINT:-1} ;;
  e4-tau) config=e4-phase.json;    grid=(--grid loss.temperature=0.05,0.1,0.2,0.5,1 --grid encoder.init_scale=0.001,0.01,0.1 --grid seed=1,2,3)
      per_point=${RANKS_PER_POINT:-1} ;;
  # E4 with SigLIP's sigmoid loss (t, b learned from 10, -10), and at the Figure-1 setting over
  # 10 seeds: InfoNCE's temperature fixed or learned, the sigmoid's t and b fixed or learned.
  e4-sigmoid) config=e4-phase-sigmoid.json; grid=(--grid signal_noise.snr=0.03,0.05,0.08,0.12,0.2 --grid train_samples=50,100,200 --grid seed=1,2,3)
      per_point=${RANKS_PER_POINT:-1} ;;
  fig1-temperature) config=e4-phase.json; grid=(--grid loss.learn_temperature=false,true --grid seed=1,2,3,4,5,6,7,8,9,10)
      per_point=${RANKS_PER_POINT:-1} ;;
  fig1-sigmoid) config=e4-phase-sigmoid.json; grid=(--grid loss.learn_scale=false,true --grid loss.learn_bias=false,true --grid seed=1,2,3,4,5,6,7,8,9,10)
      per_point=${RANKS_PER_POINT:-1} ;;
  # Huang et al.'s first-stage length T₁ (Lemmas 5.2, 5.4) measured against its prediction over
  # τ × η × σ₀ at the Figure-1 setting (every step logged, 500 steps); jobs/t1-grid.py tables it.
  t1-grid) config=t1-grid.json; grid=(--grid loss.temperature=0.05,0.1,0.2 --grid optimizer.learning_rate=0.005,0.01,0.02 --grid encoder.init_scale=0.001,0.01 --grid seed=1,2,3)
      per_point=${RANKS_PER_POINT:-1}; after=t1-grid.py ;;
  # C_μ = ‖μ̃‖/‖μ‖ ∈ {1, 1.5, 2, 2.66, 3, 5} at the Figure-1 setting (‖μ‖ = 5, n·SNR² = 1.25), 10
  # seeds: where the multi-modal advantage starts; jobs/cmu-sweep.py tables it.
  cmu-sweep) config=e4-phase.json; grid=(--grid signal_noise.text_signal_norm=5,7.5,10,13.3,15,25 --grid seed=1,2,3,4,5,6,7,8,9,10)
      per_point=${RANKS_PER_POINT:-1}; after=cmu-sweep.py ;;
  *) echo "unknown experiment '$exp': use e1, e2, e3, e3-drops, e3-infonce, e3-infonce-drops, e3-falsepos, e3-infonce-falsepos, e3-bound, e4, e4-tau, e4-sigmoid, fig1-temperature, fig1-sigmoid, t1-grid or cmu-sweep" >&2; exit 64 ;;
esac
if [ -n "$sweep_args_only" ]; then
  printf '%s\n' "${per_point:-all}" "${after:-}" --config "$here/configs/$config" "${grid[@]}"
  exit 0
fi
per_point=${per_point:-${RANKS_PER_POINT:-$ranks}}
out=${3:-runs/$exp}
export OPENBLAS_NUM_THREADS=1
# Open MPI's keepalive, as every mpirun of jobs/ (jobs/lib.sh, OMPI_KEEPALIVE): a lost host ends the job in ~9 s.
mpirun --allow-run-as-root --oversubscribe --mca oob_tcp_keepalive_time 3 --mca oob_tcp_keepalive_intvl 2 \
  --mca oob_tcp_keepalive_probes 3 -np "$ranks" "$bin" sweep --config "$here/configs/$config" "${grid[@]}" \
  --ranks-per-point "$per_point" --output "$out" --progress none
"$bin" report "$out"
echo "report: $out/report.html"
if [[ -n ${after:-} ]]; then python3 "$here/$after" "$out"; fi
