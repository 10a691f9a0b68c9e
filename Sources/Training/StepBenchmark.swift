// Training/StepBenchmark.swift — the measurement behind `infomax bench`: run a trainer's real
// step (data, forward, distributed loss, backward, gradient all-reduce, optimizer) for warm-up
// and timed steps, and record per rank the time of each phase, the bytes sent, the heap
// allocations, the peak memory, and the machine's own sgemm peak measured in the same run
// (into the bench.json records of RunRecords: PhaseSeconds, RankBenchmark).
import Foundation
import Linalg
import MPI
import RunRecords

extension PhaseSeconds {
    /// Per-step means of seconds accumulated over `steps` steps.
    public func perStep(_ steps: Int) -> PhaseSeconds {
        let s = Double(max(steps, 1))
        var r = self
        r.data /= s
        r.forward /= s
        r.lossCompute /= s
        r.lossCommunication /= s
        r.lossOverlapped /= s
        r.backward /= s
        r.allreduce /= s
        r.optimizer /= s
        return r
    }
}

/// Runs warm-up and timed training steps and measures them.
public enum StepBenchmark {
    /// Times `steps` training steps of `trainer` after `warmup` untimed ones, on every rank.
    /// Collective. `allocationCount`, if given, returns the process's allocation count so far;
    /// `beforeTimedSteps` runs just before the first timed step. Also returns, per timed step,
    /// this rank's wall time (for the slowest-rank mean).
    public static func run(
        trainer: Trainer, steps: Int, warmup: Int, batch: Int, sgemmPeakGflops: Double,
        allocationCount: (() -> UInt64)?, beforeTimedSteps: () -> Void = {}
    ) throws
        -> (rank: RankBenchmark, stepSeconds: [Double])
    {
        let comm = trainer.comm
        var state = trainer.initialState()
        var scratch = StepTiming()
        for _ in 0..<warmup {
            _ = try trainer.computeGradient(&state, timing: &scratch)
            trainer.applyUpdate(&state, timing: &scratch)
        }
        var timing = StepTiming()
        var stepSeconds = [Double](repeating: 0, count: steps)
        try comm.barrier()
        beforeTimedSteps()
        let allocationsBefore = allocationCount?()
        for s in 0..<steps {
            let t0 = comm.wtime()
            _ = try trainer.computeGradient(&state, timing: &timing)
            trainer.applyUpdate(&state, timing: &timing)
            stepSeconds[s] = comm.wtime() - t0
        }
        let allocations = allocationCount.map { Double($0() - (allocationsBefore ?? 0)) / Double(max(steps, 1)) }
        let config = trainer.config
        let globalRows = config.batchSize == 0 ? config.trainSamples : config.batchSize
        let flops = trainer.problem.gemmFlops(localRows: batch, globalRows: globalRows)
        let unfused = trainer.problem.unfusedGemmFlops(localRows: batch, globalRows: globalRows)
        let rank = RankBenchmark(
            rank: comm.rank, host: ProcessInfo.processInfo.hostName, batch: batch,
            secondsPerStep: stepSeconds.reduce(0, +) / Double(max(steps, 1)),
            phases: timing.seconds.perStep(steps), peakRssBytes: peakResidentBytes(),
            bytesPerStep: timing.bytesSent / max(steps, 1), allocationsPerStep: allocations,
            sgemmPeakGflops: sgemmPeakGflops, gflopPerStep: flops.map { $0 / 1e9 },
            unfusedGflopPerStep: unfused.map { $0 / 1e9 })
        return (rank, stepSeconds)
    }

    /// Single-thread-per-rank sgemm throughput in GFLOP/s: the best of `repetitions` n × n × n
    /// products (after one untimed call), timed with `clock`. The best, because a virtual
    /// machine's hiccups only ever slow a repetition down.
    public static func sgemmPeak(n: Int = 2048, repetitions: Int = 5, clock: () -> Double) -> Double {
        var a = Matrix<Float>(rows: n, cols: n)
        var b = Matrix<Float>(rows: n, cols: n)
        var c = Matrix<Float>(rows: n, cols: n)
        for i in a.storage.indices {
            a.storage[i] = Float(i % 7) * 0.1
            b.storage[i] = Float(i % 5) * 0.1
        }
        gemm(a, .none, b, .none, alpha: 1, beta: 0, into: &c)
        var best = Double.infinity
        for _ in 0..<repetitions {
            let t0 = clock()
            gemm(a, .none, b, .none, alpha: 1, beta: 0, into: &c)
            best = min(best, clock() - t0)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }

    /// The process's peak resident set size, bytes (Linux reports ru_maxrss in KiB).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

extension ContrastiveProblem {
    /// Not counted unless a problem says otherwise.
    public func gemmFlops(localRows b: Int, globalRows B: Int) -> Double? { nil }
    /// The executed count unless a problem says otherwise.
    public func unfusedGemmFlops(localRows b: Int, globalRows B: Int) -> Double? {
        gemmFlops(localRows: b, globalRows: B)
    }
}
