// BenchReport: bench.json of `infomax bench --output` (schema infomax-bench/1) — the figures
// of one benchmark over all ranks, each rank's own (RankBenchmark) and the seconds per step of
// each phase (PhaseSeconds). `infomax bench` writes it, `bench predict` and the scaling report
// read it, all through this one type.
import Foundation

/// The figures of one benchmark over all ranks (rank 0 builds it), in the bench.json schema.
public struct BenchReport: Codable, Sendable, Equatable {
    /// The file's name in a bench folder.
    public static let file = "bench.json"
    /// The schema this build writes and reads.
    public static let currentSchema = "infomax-bench/1"

    public var schema = BenchReport.currentSchema
    public var ranks: Int
    public var globalBatch: Int
    /// Training samples n the batches are drawn from (= the batch for full batch).
    public var trainSamples: Int
    public var batchPerRank: [Int]
    public var d: Int
    public var width: Int
    public var patches: Int
    public var model: DataModelKind
    public var mode: ModalityMode
    public var exchange: String
    public var loss: String
    public var symmetric: Bool
    public var stopGradient: Bool
    public var steps: Int
    public var warmup: Int
    public var openblasThreads: Int
    /// Mean over timed steps of the slowest rank's step time.
    public var secondsPerStep: Double
    /// Slowest rank of each phase.
    public var phases: PhaseSeconds
    /// GEMM work of one step summed over ranks.
    public var gflopPerStep: Double?
    public var gflopsPerRank: Double?
    public var gflopsTotal: Double?
    /// Single-thread sgemm, rank 0 alone.
    public var sgemmPeakGflops: Double
    /// Single-thread sgemm per rank with every rank running it (mean).
    public var sgemmPeakGflopsAllRanks: Double
    public var fractionOfPeak: Double?
    /// The step's GEMM work counted with the unfused loss (one evaluation per direction), its
    /// rate per rank and fraction of the peak: the "useful" rate, above the executed one when
    /// the symmetric loss is fused.
    public var unfusedGflopPerStep: Double?
    public var usefulGflopsPerRank: Double?
    public var usefulFractionOfPeak: Double?
    public var bytesPerStepPerRank: Int
    public var peakRssBytes: Int
    /// The memory estimate (MemoryEstimate, purpose bench) of the rank with the largest
    /// measured peak, per rank, and estimate / measured for that rank.
    public var estimatedPeakBytes: Int?
    public var estimatedPeakBytesPerRank: [Int?]
    public var peakEstimateRatio: Double?
    /// The most any rank allocated per step (this project's code), inside MPI, inside BLAS.
    public var allocationsPerStep: Double?
    public var mpiAllocationsPerStep: Double?
    public var blasAllocationsPerStep: Double?
    public var perRank: [RankBenchmark]

    /// The settings and figures every bench.json has; the derived rates start absent.
    public init(
        ranks: Int, globalBatch: Int, trainSamples: Int, batchPerRank: [Int], d: Int, width: Int, patches: Int,
        model: DataModelKind, mode: ModalityMode, exchange: String, loss: String, symmetric: Bool, stopGradient: Bool,
        steps: Int, warmup: Int, openblasThreads: Int, secondsPerStep: Double, phases: PhaseSeconds,
        sgemmPeakGflops: Double, sgemmPeakGflopsAllRanks: Double, bytesPerStepPerRank: Int, peakRssBytes: Int,
        estimatedPeakBytesPerRank: [Int?], perRank: [RankBenchmark]
    ) {
        self.ranks = ranks
        self.globalBatch = globalBatch
        self.trainSamples = trainSamples
        self.batchPerRank = batchPerRank
        self.d = d
        self.width = width
        self.patches = patches
        self.model = model
        self.mode = mode
        self.exchange = exchange
        self.loss = loss
        self.symmetric = symmetric
        self.stopGradient = stopGradient
        self.steps = steps
        self.warmup = warmup
        self.openblasThreads = openblasThreads
        self.secondsPerStep = secondsPerStep
        self.phases = phases
        self.sgemmPeakGflops = sgemmPeakGflops
        self.sgemmPeakGflopsAllRanks = sgemmPeakGflopsAllRanks
        self.bytesPerStepPerRank = bytesPerStepPerRank
        self.peakRssBytes = peakRssBytes
        self.estimatedPeakBytesPerRank = estimatedPeakBytesPerRank
        self.perRank = perRank
    }

    /// The `schema` of bench.json text, if it has one (read before the rest, so that a file of
    /// another schema is named as such rather than as a missing key).
    public static func schema(of data: Data) -> String? {
        (try? JSONDecoder().decode(SchemaProbe.self, from: data))?.schema
    }

    /// The `schema` key alone. (A named type, not one local to `schema(of:)`: with cross-module
    /// optimization the release build leaves a local type's metadata undefined at link time.)
    struct SchemaProbe: Decodable { var schema: String? }
}

/// Seconds per step of each phase of a training step (means over the timed steps).
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

    /// The phases in report order, with display names (`lossOverlapped` is inside `lossCompute`).
    public var named: [(key: String, title: String, seconds: Double)] {
        [
            ("data", "data generation", data), ("forward", "forward", forward),
            ("loss_compute", "loss: local compute", lossCompute),
            ("loss_communication", "loss: communication (blocked)", lossCommunication),
            ("loss_overlapped", "communication hidden behind compute", lossOverlapped),
            ("backward", "backward", backward), ("allreduce", "gradient all-reduce", allreduce),
            ("optimizer", "optimizer", optimizer),
        ]
    }

    /// Element-wise maximum (the slowest rank of each phase).
    public func maximum(_ o: PhaseSeconds) -> PhaseSeconds {
        var r = self
        r.data = max(data, o.data)
        r.forward = max(forward, o.forward)
        r.lossCompute = max(lossCompute, o.lossCompute)
        r.lossCommunication = max(lossCommunication, o.lossCommunication)
        r.lossOverlapped = max(lossOverlapped, o.lossOverlapped)
        r.backward = max(backward, o.backward)
        r.allreduce = max(allreduce, o.allreduce)
        r.optimizer = max(optimizer, o.optimizer)
        return r
    }
}

/// One rank's figures from a benchmark.
public struct RankBenchmark: Codable, Sendable, Equatable {
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
    /// Heap allocations (malloc & co.) per timed step by this project's code and the libraries
    /// it calls other than MPI and BLAS; nil if not counted.
    public var allocationsPerStep: Double?
    /// Heap allocations per timed step whose call stack passes through the MPI library (its
    /// collectives' schedules and temporaries); nil if not counted.
    public var mpiAllocationsPerStep: Double? = nil
    /// Heap allocations per timed step whose call stack passes through the BLAS library
    /// (OpenBLAS's small-matrix sgemm kernels malloc a packing buffer per call); nil if not counted.
    public var blasAllocationsPerStep: Double? = nil
    /// Single-thread sgemm GFLOP/s of this rank measured while every rank runs it at once.
    public var sgemmPeakGflops: Double
    /// GEMM floating-point operations of one step on this rank, in GFLOP; nil if unknown.
    public var gflopPerStep: Double?
    /// The same step's GEMM work counted with the unfused loss (one evaluation per direction),
    /// in GFLOP: the "useful" work whose rate shows what fusing gains; nil if unknown.
    public var unfusedGflopPerStep: Double?

    public init(
        rank: Int, host: String, batch: Int, secondsPerStep: Double, phases: PhaseSeconds, peakRssBytes: Int,
        bytesPerStep: Int, allocationsPerStep: Double?, sgemmPeakGflops: Double, gflopPerStep: Double?,
        unfusedGflopPerStep: Double?
    ) {
        self.rank = rank
        self.host = host
        self.batch = batch
        self.secondsPerStep = secondsPerStep
        self.phases = phases
        self.peakRssBytes = peakRssBytes
        self.bytesPerStep = bytesPerStep
        self.allocationsPerStep = allocationsPerStep
        self.sgemmPeakGflops = sgemmPeakGflops
        self.gflopPerStep = gflopPerStep
        self.unfusedGflopPerStep = unfusedGflopPerStep
    }
}
