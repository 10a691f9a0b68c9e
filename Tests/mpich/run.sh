#!/usr/bin/env bash
# Tests/mpich/run.sh — the package against MPICH (hydra's mpiexec.mpich). Installs libmpich-dev
# and mpich when missing, builds into .build-mpich (INFOMAX_MPI=mpich), runs every suite of
# multirank-checks at 1-4 ranks (infomax at 1-2 unless --checks-only) and the abort path; then,
# unless --checks-only, checks that `infomax info` names MPICH and runs the default training at 2
# ranks under MPICH (debug build) and under Open MPI (.build/release/infomax, built by `make build`), whose
# metrics must be identical (compare-runs.py). Exits non-zero on any failure or difference.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
checks_only=0; [ "${1:-}" = "--checks-only" ] && checks_only=1
scratch=.build-mpich
export INFOMAX_MPI=mpich OPENBLAS_NUM_THREADS=1
start=$SECONDS

if ! dpkg-query -W -f='${Status}' libmpich-dev 2>/dev/null | grep -q "install ok installed" ||
   ! command -v mpiexec.mpich >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "mpich: installing libmpich-dev mpich"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libmpich-dev mpich
fi

swift build --scratch-path "$scratch" --product multirank-checks
checks="$scratch/debug/multirank-checks"
# The infomax suite at 3-4 ranks takes ~6x longer under MPICH than under Open MPI on 2 cores
# (MPICH 4.0's ch4:ucx ranks busy-poll while they wait, and MPIR_CVAR_POLLS_BEFORE_YIELD does
# not change that): the make test stage runs it at 1-2 ranks, --checks-only at 1-4.
for suite in mpi exchange synthetic infomax guided; do
  ranks="1 2 3 4"; [ "$suite" = infomax ] && [ "$checks_only" = 0 ] && ranks="1 2"
  for n in $ranks; do
    out="$(timeout 300 mpiexec.mpich -n "$n" "$checks" "$suite" 2>&1)" ||
      { echo "$out"; echo "mpich: $suite at $n ranks failed"; exit 1; }
    line="$(grep -E "^$suite np=$n: " <<<"$out" || true)"
    [ -n "$line" ] && grep -q " 0 failed" <<<"$line" ||
      { echo "$out"; echo "mpich: $suite at $n ranks: no clean summary"; exit 1; }
    echo "mpich: $line"
  done
done
# The no-hang error path: rank 1 aborts with code 3 while the others wait in a barrier; every
# rank must go and mpiexec exit 3 within seconds.
t=$SECONDS; rc=0
timeout 60 mpiexec.mpich -n 3 "$checks" abort >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] && [ $((SECONDS - t)) -lt 30 ] ||
  { echo "mpich: abort at 3 ranks: exit $rc after $((SECONDS - t)) s"; exit 1; }
echo "mpich: abort at 3 ranks exits 3 in $((SECONDS - t)) s"
[ "$checks_only" = 1 ] && { echo "mpich: checks OK ($((SECONDS - start)) s)"; exit 0; }

# The debug build (its metrics equal the release build's, bit for bit): a release build with
# cross-module optimisation would add ~4 minutes on 2 cores. MPICH_RELEASE=1 uses one.
if [ "${MPICH_RELEASE:-0}" = 1 ]; then
  swift build --scratch-path "$scratch" -c release --product infomax -Xswiftc -cross-module-optimization
  infomax="$scratch/release/infomax"
else
  swift build --scratch-path "$scratch" --product infomax
  infomax="$scratch/debug/infomax"
fi
[ -x .build/release/infomax ] ||
  { echo "mpich: .build/release/infomax (Open MPI) is not built; run make build"; exit 1; }
runs="$(mktemp -d)"; trap 'rm -rf "$runs"' EXIT
mpiexec.mpich -n 2 "$infomax" info >"$runs/info" 2>&1
grep -q "MPICH" "$runs/info" || { cat "$runs/info"; echo "mpich: infomax info does not name MPICH"; exit 1; }
mpiexec.mpich -n 2 "$infomax" train --output "$runs/mpich" --force >"$runs/mpich.log" 2>&1 ||
  { cat "$runs/mpich.log"; echo "mpich: training run failed"; exit 1; }
flags=(--oversubscribe --bind-to none); [ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
env -u INFOMAX_MPI mpirun -np 2 "${flags[@]}" .build/release/infomax train --output "$runs/openmpi" --force \
  >"$runs/openmpi.log" 2>&1 || { cat "$runs/openmpi.log"; echo "mpich: Open MPI training run failed"; exit 1; }
python3 "$here/compare-runs.py" "$runs/openmpi" "$runs/mpich"
echo "mpich: OK ($((SECONDS - start)) s)"
