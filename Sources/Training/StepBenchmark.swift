// Training/StepBenchmark.swift — the measurement behind `infomax bench`: run a trainer's real
// step (data, forward, distributed loss, backward, gradient all-reduce, optimizer) for warm-up
// and timed steps, and record per rank the time of each phase, the bytes sent, the heap
// allocations, the peak memory, and the machine's own sgemm peak measured in the same run.
import Foundation
import Linalg
import MPI

/// Seconds of each phase of training steps: summed over steps in ``StepTiming``, per-step
/// means over the timed steps in ``RankBenchmark``.
public struct PhaseSeconds: Codable, Sendable, Equatable {
    public var data = 0.0
    public var forward = 0.0
    public var lossCompute = 0.0
    /// Blocked in the loss's MPI calls (exposed communication).
    public var lossCommunication = 0.0
    /// Loss transfers in flight while computing (ring exchange); included in `lossCompute`.
    public var lossOverlapped = 0.0
    public var backward = 0.0
    public var allreduce = 0.0
    public var optimizer = 0.0
    public init() {}

    /// Per-step means of seconds accumulated over `steps` steps.
    public func perStep(_ steps: Int) -> PhaseSeconds {
        let s = Double(max(steps, 1))
        var r = self
        r.data /= s; r.forward /= s; r.lossCompute /= s; r.lossCommunication /= s
        r.lossOverlapped /= s; r.backward /= s; r.allreduce /= s; r.optimizer /= s
        return r
    }

    /// The phases in report order, with display names (`lossOverlapped` is inside `lossCompute`).
    public var named: [(key: String, title: String, seconds: Double)] {
        [("data", "data generation", data), ("forward", "forward", forward),
         ("loss_compute", "loss: local compute", lossCompute),
         ("loss_communication", "loss: communication (blocked)", lossCommunication),
         ("loss_overlapped", "communication hidden behind compute", lossOverlapped),
         ("backward", "backward", backward), ("allreduce", "gradient all-reduce", allreduce),
         ("optimizer", "optimizer", optimizer)]
    }

    /// Element-wise maximum (the slowest rank of each phase).
    public func maximum(_ o: PhaseSeconds) -> PhaseSeconds {
        var r = self
        r.data = max(data, o.data); r.forward = max(forward, o.forward)
        r.lossCompute = max(lossCompute, o.lossCompute); r.lossCommunication = max(lossCommunication, o.lossCommunication)
        r.lossOverlapped = max(lossOverlapped, o.lossOverlapped); r.backward = max(backward, o.backward)
        r.allreduce = max(allreduce, o.allreduce); r.optimizer = max(optimizer, o.optimizer)
        return r
    }
}

/// One rank's figures from a benchmark.
public struct RankBenchmark: Codable, Sendable {
    public var rank: Int
    public var host: String
    /// Samples of the global batch this rank holds.
    public var batch: Int
    /// This rank's mean wall time per timed step.
    public var secondsPerStep: Double
    public var phases: PhaseSeconds
    /// Maximum resident set size of the process so far (getrusage), bytes.
    public var peakRssBytes: Int
    /// Bytes this rank sends per step (loss exchange + gradient all-reduce).
    public var bytesPerStep: Int
    /// Heap allocations (malloc & co., whole process) per timed step; nil if not counted.
    public var allocationsPerStep: Double?
    /// Single-thread sgemm GFLOP/s of this rank measured while every rank runs it at once.
    public var sgemmPeakGflops: Double
    /// GEMM floating-point operations of one step on this rank, in GFLOP; nil if unknown.
    public var gflopPerStep: Double?
    /// The same step's GEMM work counted with the unfused loss (one evaluation per direction),
    /// in GFLOP: the "useful" work whose rate shows what fusing gains; nil if unknown.
    public var unfusedGflopPerStep: Double?
}

/// Runs warm-up and timed training steps and measures them.
public enum StepBenchmark {
    /// Times `steps` training steps of `trainer` after `warmup` untimed ones, on every rank.
    /// Collective. `allocationCount`, if given, returns the process's allocation count so far;
    /// `beforeTimedSteps` runs just before the first timed step. Also returns, per timed step,
    /// this rank's wall time (for the slowest-rank mean).
    public static func run(trainer: Trainer, steps: Int, warmup: Int, batch: Int, sgemmPeakGflops: Double,
                           allocationCount: (() -> UInt64)?, beforeTimedSteps: () -> Void = {}) throws
        -> (rank: RankBenchmark, stepSeconds: [Double]) {
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
            sgemmPeakGflops: sgemmPeakGflops, gflopPerStep: flops.map { $0 / 1e9 }, unfusedGflopPerStep: unfused.map { $0 / 1e9 })
        return (rank, stepSeconds)
    }

    /// Single-thread-per-rank sgemm throughput in GFLOP/s: the best of `repetitions` n × n × n
    /// products (after one untimed call), timed with `clock`. The best, because a virtual
    /// machine's hiccups only ever slow a repetition down.
    public static func sgemmPeak(n: Int = 2048, repetitions: Int = 5, clock: () -> Double) -> Double {
        var a = Matrix<Float>(rows: n, cols: n), b = Matrix<Float>(rows: n, cols: n), c = Matrix<Float>(rows: n, cols: n)
        for i in a.storage.indices { a.storage[i] = Float(i % 7) * 0.1; b.storage[i] = Float(i % 5) * 0.1 }
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
    public func unfusedGemmFlops(localRows b: Int, globalRows B: Int) -> Double? { gemmFlops(localRows: b, globalRows: B) }
}
