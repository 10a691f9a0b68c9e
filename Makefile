# InfoMaxMPI — the two set-up commands of the README, and their parts.
#   make run    install what is missing, build (release), run the default job on 2 ranks
#   make test   install what is missing, build, run every test (unit + multi-rank +
#               allocation check of the release step + Slurm + the same checks and the default
#               run under MPICH + several namespace hosts + 8 and 16 ranks under both MPIs)
#   MPI=mpich   builds against MPICH instead of Open MPI, into .build-mpich (make build, make
#               test: its unit tests and the multi-rank checks under mpiexec.mpich)
# Both work on a fresh Debian/Ubuntu machine with Swift 6 on PATH; they apt-get install the
# MPI / BLAS packages when missing (with sudo when not root).

SHELL := /bin/bash
NP ?= 2
APT_PACKAGES := libopenmpi-dev openmpi-bin libopenblas-dev liblapacke-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Open MPI refuses to run as root unless told; more ranks than cores need --oversubscribe.
# TCP keepalive on mpirun's daemon connections (3 s idle, 3 probes 2 s apart): a host whose
# network dies is declared lost in ~9 s and the job ends, naming it; with Open MPI's defaults
# (300 s, 9 × 20 s) mpirun waits for minutes (docs/cluster.md, "Losing a node").
OMPI_KEEPALIVE := --mca oob_tcp_keepalive_time 3 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3
MPIRUN_FLAGS := --oversubscribe --bind-to none $(OMPI_KEEPALIVE) $(shell [ "$$(id -u)" = 0 ] && echo --allow-run-as-root)
export OPENBLAS_NUM_THREADS ?= 1
# Which MPI: openmpi (default) or mpich (also Cray MPICH, Intel MPI, MVAPICH2; see
# docs/cluster.md). Package.swift reads INFOMAX_MPI; each MPI has its own build folder.
MPI ?= openmpi
ifeq ($(MPI),mpich)
export INFOMAX_MPI := mpich
SCRATCH := .build-mpich
SCRATCH_FLAG := --scratch-path $(SCRATCH)
MPIRUN := mpiexec.mpich
MPIRUN_FLAGS :=
APT_PACKAGES := $(filter-out libopenmpi-dev openmpi-bin,$(APT_PACKAGES)) libmpich-dev mpich
else ifeq ($(MPI),openmpi)
SCRATCH := .build
SCRATCH_FLAG :=
MPIRUN := mpirun
else
$(error MPI=$(MPI): choose openmpi (the default) or mpich)
endif
INFOMAX := $(SCRATCH)/release/infomax

.PHONY: run test deps lint build build-tests unit-tests consumer-tests docs bench-check reliability-check fuzz-tests slurm-tests multihost-tests mpich-tests ranks-tests bench clean

run: deps build
	$(MPIRUN) -np $(NP) $(MPIRUN_FLAGS) $(INFOMAX) info
	$(MPIRUN) -np $(NP) $(MPIRUN_FLAGS) $(INFOMAX) train --output runs/default --force

ifeq ($(MPI),mpich)
# Under MPICH: the unit tests (the multi-rank XCTests launch Open MPI's mpirun, so they are
# skipped), then every multi-rank checks suite at 1-4 ranks under mpiexec.mpich, then the
# rank-count checks at 8 and 16 ranks (Tests/ranks/run.sh mpich).
test: deps lint build-tests unit-tests
	Tests/mpich/run.sh --checks-only
	Tests/ranks/run.sh mpich
else
# mpich-tests before slurm-tests and multihost-tests: it builds .build-mpich/debug/infomax, which
# the Slurm stage's hydra check and the multi-host stage's MPICH checks launch.
test: deps lint build-tests unit-tests consumer-tests bench-check reliability-check fuzz-tests mpich-tests slurm-tests multihost-tests ranks-tests
endif

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6 (swift.org) and retry"; exit 1; }

# The code's layout: `swift format lint --strict` with the committed .swift-format (4 spaces,
# 120 columns; lowerCamelCase is not required, since B, N, P and k name the papers' sizes).
# `swift format format -i -r Sources Tests Examples Package.swift` fixes what it reports.
lint:
	swift format lint --strict --recursive --parallel Sources Tests Examples Package.swift

# Release builds are checked (-O; Package.swift has no unsafeFlags, so it stays a usable
# dependency). Cross-module optimisation specialises Linalg's / InfoMax's generic kernels in
# their callers: without it the GEMM-dominated step fell from 86% to 65% of the sgemm peak
# (issue 7). SWIFT_RELEASE_FLAGS= builds without it.
SWIFT_RELEASE_FLAGS ?= -Xswiftc -cross-module-optimization

build:
	swift build $(SCRATCH_FLAG) -c release --product infomax $(SWIFT_RELEASE_FLAGS)

build-tests:
	swift build $(SCRATCH_FLAG) --build-tests

# XCTest, then Swift Testing (the config parser's property tests); fails if either fails.
unit-tests:
	swift test $(SCRATCH_FLAG) --skip-build $(if $(filter mpich,$(MPI)),--skip MultiRankTests) 2>&1 \
	  | tee $(SCRATCH)/test-output.txt; exit $${PIPESTATUS[0]}

# The package against MPICH (Tests/mpich/run.sh): installs libmpich-dev and mpich when missing,
# builds into .build-mpich, runs the multi-rank checks suites at 1-4 ranks under mpiexec.mpich
# and the default training run at 2 ranks, whose metrics must equal the Open MPI run's.
mpich-tests: deps build
	Tests/mpich/run.sh

# The rank-count checks at 8 and 16 ranks, oversubscribed (Tests/ranks/run.sh): training at 8
# and 16 ranks gives the 1-rank metrics (full batch in both modalities with both candidate
# exchanges, and a mini-batch run), the gradient exchange's and the distributed losses' checks
# suites; under Open MPI (mpi_yield_when_idle), then under MPICH (built by mpich-tests; its
# busy-polling ranks make the whole distributed-loss suite too slow at 16 ranks on 2 cores, so it
# runs the training runs, the exchange suite, the temperature suite (8 ranks) and the
# infomax-focused subset: loss and gradient rows against the one-process loss, both exchanges,
# uneven and empty shards).
ranks-tests: deps build build-tests mpich-tests
	Tests/ranks/run.sh openmpi
	Tests/ranks/run.sh mpich

# The MPI library as a dependency: Tests/Consumer is a package that depends on this one by path
# and runs an all-reduce through its `MPI` product at 2 ranks (its own scratch folder,
# .build-consumer; ~1 min the first time); then the library's example (Examples/MPIExample).
consumer-tests: deps build-tests
	Tests/Consumer/run.sh
	mpirun -np 3 $(MPIRUN_FLAGS) .build/debug/mpi-example

# The MPI library's DocC documentation (Sources/MPI/MPI.docc) into .build/docs/MPI.
docs:
	mkdir -p .build/docs
	swift package --allow-writing-to-directory .build/docs generate-documentation --target MPI \
	  --output-path .build/docs/MPI --transform-for-static-hosting --hosting-base-path MPI

# A one-node Slurm cluster on this machine runs the batch scripts of jobs/ (Tests/slurm/run.sh;
# installs slurm-wlm munge libpmix-dev when missing, stops its daemons on exit).
slurm-tests: deps build
	Tests/slurm/run.sh

# Several hosts on this machine: network namespaces with their own hostnames, TCP between them
# (Tests/multihost/run.sh; removes its namespaces, bridge and processes on exit; skipped, and
# says so, where namespaces cannot be made).
multihost-tests: deps build
	Tests/multihost/run.sh

# The release step allocates nothing after warm-up (1 and 2 ranks, both exchanges), and the
# memory estimate lies within 25% of the measured peak RSS (two sizes, 2 ranks).
bench-check: deps build
	Tests/Bench/check-allocations.sh $(INFOMAX)
	Tests/Bench/check-memory-estimate.sh $(INFOMAX)

# Seeded fuzz of `infomax train`'s input handling at 2 ranks: config and command-line
# mutations, each under a timeout; no hang, no crash, exit 0 only for valid input, exactly one
# error line otherwise (Tests/fuzz/fuzz.py; last line `fuzz: N passed, M failed`).
fuzz-tests: deps build
	@command -v python3 >/dev/null || { echo "fuzz-tests need python3 on PATH"; exit 1; }
	python3 Tests/fuzz/fuzz.py --infomax $(INFOMAX)

# kill -TERM to mpirun during a step longer than Open MPI's 2 s grace: checkpoint on disk
# within 1 s, summary.json `checkpointed`, resume = uninterrupted (release build; ~1 min idle).
reliability-check: deps build
	Tests/Reliability/sigterm-long-step.sh $(INFOMAX)

# The benchmark of the README's Performance section (see infomax bench --help).
bench: deps build
	$(MPIRUN) -np $(NP) $(MPIRUN_FLAGS) $(INFOMAX) bench
	$(MPIRUN) -np $(NP) $(MPIRUN_FLAGS) $(INFOMAX) bench network

clean:
	rm -rf .build runs
