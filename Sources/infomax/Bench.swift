// Bench — `infomax bench`: time real training steps and print, per rank and overall, where a
// step's time goes (data, forward, loss compute vs communication, backward, all-reduce,
// optimizer), GFLOP/s against the sgemm peak measured in the same run, bytes sent, peak
// memory and heap allocations per step; as a table, JSON (--json) and files (--output).
// `infomax bench allreduce` and `infomax bench network` measure the communication alone.
import ArgumentParser
import CAllocCount
import Foundation
import Linalg
import MPI
import Report
import Synthetic
import Training

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark training steps (default), the all-reduce, the network's α and β, or predict other rank counts.",
        subcommands: [BenchStep.self, BenchAllreduce.self, BenchNetwork.self, BenchPredict.self],
        defaultSubcommand: BenchStep.self)
}

struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time training steps of the signal-noise model and split them by phase.",
        discussion: """
        Runs --warmup untimed and --steps timed full-batch training steps (the real trainer:
        synthetic data, encoders, distributed InfoNCE, fused gradient all-reduce, optimizer)
        and prints, per rank and overall:
          time per step by phase      data, forward, loss compute, loss communication (time
                                      blocked in MPI; with --exchange ring also the transfer
                                      time hidden behind compute), backward, all-reduce, optimizer
          GFLOP/s                     GEMM work of the step / wall time of the slowest rank,
                                      against the single-thread sgemm peak measured in the same
                                      run (rank 0 alone, and all ranks at once)
          bytes sent per step         loss exchange + gradient all-reduce (ring volumes)
          peak resident memory        per rank (getrusage)
          heap allocations per step   malloc & co. of the whole process after warm-up
                                      (Swift, OpenBLAS and Open MPI alike)

        Strong scaling keeps --batch (global) fixed over rank counts; weak scaling keeps
        --batch-per-rank fixed. Examples:
          mpirun -np 2 infomax bench                                  # d 2048, m 1024, B 4096
          mpirun -np 2 infomax bench --batch 65536 --width 32 --d 256 --exchange ring
          mpirun -np 2 infomax bench --batch-per-rank 2048 --output runs/bench-weak-2 --json
        Set OPENBLAS_NUM_THREADS=1 when the ranks fill the cores (the comparison with the
        single-thread sgemm peak assumes it). INFOMAX_ALLOC_TRACE=N prints a backtrace of the
        first N allocations inside the timed steps (to find who allocates).
        """)

    @Option(help: ArgumentHelp("A JSON config file to start from (default: the built-in signal-noise settings).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one config key (repeatable), e.g. --set loss.symmetric=false.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Patch dimension d (signal_noise.d). Default 2048, or the --config file's value.")
    var d: Int?

    @Option(help: "Encoder width m (encoder.width). Default 1024, or the --config file's value.")
    var width: Int?

    @Option(help: ArgumentHelp("Global batch (strong scaling). Default 4096, or the --config file's train_samples.", valueName: "B"))
    var batch: Int?

    @Option(help: ArgumentHelp("Samples per rank; the global batch is this × ranks (weak scaling).", valueName: "b"))
    var batchPerRank: Int?

    @Option(help: "Timed steps.")
    var steps: Int = 5

    @Option(help: "Untimed warm-up steps before them (buffers grow, pages are touched).")
    var warmup: Int = 2

    @Option(help: "multi-modal | single-modal.")
    var mode: String = "multi-modal"

    @Option(help: "Candidate exchange of the distributed loss: allgather | ring.")
    var exchange: String?

    @Option(help: ArgumentHelp("Also write DIR/bench.json and DIR/bench.csv (one row per rank).", valueName: "dir"))
    var output: String?

    @Flag(help: "Print the JSON report instead of the table.")
    var json = false

    func validate() throws {
        if batch != nil && batchPerRank != nil { throw ValidationError("give --batch (global) or --batch-per-rank, not both") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let batchPerRank, batchPerRank < 1 { throw ValidationError("--batch-per-rank must be at least 1, got \(batchPerRank)") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
        guard ["multi-modal", "single-modal"].contains(mode) else {
            throw ValidationError("--mode must be multi-modal or single-modal, got \(mode)")
        }
    }

    func resolvedOverrides(ranks: Int) -> [String] {
        var o = ["mode=\"\(mode)\"", "batch_size=0", "steps=\(warmup + steps)", "eval_every=0",
                 "log_every=\(warmup + steps + 1)", "name=\"bench\""]
        if let global = batchPerRank.map({ $0 * ranks }) ?? batch ?? (config == nil ? 4096 : nil) {
            o.append("train_samples=\(global)")
        }
        // Without a config file: the GEMM-dominated signal-noise default; with one, its values
        // stand unless a flag says otherwise (a config file may also pick another model).
        if config == nil { o += ["model=\"signal-noise\"", "signal_noise.d=\(d ?? 2048)", "encoder.width=\(width ?? 1024)"] }
        else {
            if let d { o.append("signal_noise.d=\(d)") }
            if let width { o.append("encoder.width=\(width)") }
        }
        if let exchange { o.append("loss.exchange=\"\(exchange)\"") }
        return o + overrides
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            let cfg = try MPIRun.loadConfig(comm, path: options.config, overrides: options.resolvedOverrides(ranks: comm.size))
            guard let mode = ModalityMode(rawValue: options.mode), mode != .compare else { return ExitStatus.usage }
            let output = options.output.map { URL(fileURLWithPath: $0) }
            if let output {
                _ = try comm.onRoot(exitCode: ExitStatus.dataError) {
                    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
                }
            }

            // The machine's own sgemm peak, measured now: rank 0 alone (the others sleep rather
            // than spin in MPI), then every rank at once.
            let alone = try sgemmPeakAlone(comm)
            try comm.barrier()
            let together = StepBenchmark.sgemmPeak(clock: comm.wtime)

            let problem = try makeProblem(config: cfg, mode: mode, comm: comm)
            let trainer = Trainer(config: cfg, mode: mode, problem: problem, comm: comm)
            let local = try Shard(count: cfg.trainSamples, rank: comm.rank, size: comm.size).range.count
            let counting = allocationCountingWorks()
            let trace = LaunchEnvironment.value("INFOMAX_ALLOC_TRACE").flatMap { Int($0) } ?? 0
            var (mine, stepSeconds) = try StepBenchmark.run(
                trainer: trainer, steps: options.steps, warmup: options.warmup, batch: local, sgemmPeakGflops: together,
                allocationCount: counting ? { imx_alloc_count() } : nil,
                beforeTimedSteps: { if trace > 0 { imx_alloc_trace(Int32(trace)) } })
            imx_alloc_trace(0)
            // The slowest rank of each step sets the pace.
            try comm.allreduce(inPlace: &stepSeconds, op: .max)
            let encoded = try JSONEncoder().encode(mine)
            guard let gathered = try comm.gatherv(Array(encoded) + [10]) else { return ExitStatus.success }
            let ranks = try String(decoding: gathered.values, as: UTF8.self).split(separator: "\n").map {
                try JSONDecoder().decode(RankBenchmark.self, from: Data($0.utf8))
            }
            let report = BenchReport(config: cfg, mode: mode, steps: options.steps, warmup: options.warmup,
                                     secondsPerStep: stepSeconds.reduce(0, +) / Double(stepSeconds.count),
                                     sgemmPeakAlone: alone, ranks: ranks, allocationsCounted: counting)
            let json = try report.json()
            if options.json { print(json) } else { print(report.table()) }
            if let output {
                try AtomicFile.write(json + "\n", to: output.appendingPathComponent("bench.json"))
                try AtomicFile.write(report.csv(), to: output.appendingPathComponent("bench.csv"))
                if !options.json { print("wrote \(output.path)/bench.json and bench.csv") }
            }
            return ExitStatus.success
        }
    }
}

/// Rank 0's single-thread sgemm GFLOP/s while the other ranks sleep (polling a receive every
/// millisecond instead of spinning in a blocking MPI call); every rank gets the figure.
private func sgemmPeakAlone(_ comm: Communicator) throws -> Double {
    let figure = MPIBuffer<Double>(repeating: 0, count: 1)
    if comm.isRoot {
        figure[0] = StepBenchmark.sgemmPeak(clock: comm.wtime)
        let sends = try (1..<comm.size).map { try comm.isend(figure, to: $0, tag: 0x5045) }
        try Request.waitAll(sends)
    } else {
        let request = try comm.irecv(into: figure, from: 0, tag: 0x5045)
        while try !request.test() { usleep(1000) }
    }
    return figure[0]
}

/// Whether the malloc interposition of CAllocCount sees this process's allocations, checked
/// for a C library call and for a Swift array (a counter that never moves proves nothing).
private func allocationCountingWorks() -> Bool {
    guard imx_alloc_self_test() != 0 else { return false }
    let before = imx_alloc_count()
    let probe = [Int](repeating: 7, count: 64 + Int(before % 3))
    return withExtendedLifetime(probe) { imx_alloc_count() > before }
}

/// The figures of one benchmark over all ranks (rank 0 builds it), in the bench.json schema.
struct BenchReport: Encodable {
    var schema = "infomax-bench/1"
    var ranks: Int
    var globalBatch: Int
    var batchPerRank: [Int]
    var d: Int
    var width: Int
    var patches: Int
    var model: String
    var mode: String
    var exchange: String
    var loss: String
    var symmetric: Bool
    var stopGradient: Bool
    var steps: Int
    var warmup: Int
    var openblasThreads: Int
    /// Mean over timed steps of the slowest rank's step time.
    var secondsPerStep: Double
    /// Slowest rank of each phase.
    var phases: PhaseSeconds
    /// GEMM work of one step summed over ranks.
    var gflopPerStep: Double?
    var gflopsPerRank: Double?
    var gflopsTotal: Double?
    /// Single-thread sgemm, rank 0 alone.
    var sgemmPeakGflops: Double
    /// Single-thread sgemm per rank with every rank running it (mean).
    var sgemmPeakGflopsAllRanks: Double
    var fractionOfPeak: Double?
    /// The step's GEMM work counted with the unfused loss (one evaluation per direction), its
    /// rate per rank and fraction of the peak: the "useful" rate, above the executed one when
    /// the symmetric loss is fused.
    var unfusedGflopPerStep: Double?
    var usefulGflopsPerRank: Double?
    var usefulFractionOfPeak: Double?
    var bytesPerStepPerRank: Int
    var peakRssBytes: Int
    var allocationsPerStep: Double?
    var perRank: [RankBenchmark]

    init(config: TrainConfig, mode: ModalityMode, steps: Int, warmup: Int, secondsPerStep: Double,
         sgemmPeakAlone: Double, ranks list: [RankBenchmark], allocationsCounted: Bool) {
        ranks = list.count
        globalBatch = config.trainSamples
        batchPerRank = list.map(\.batch)
        d = config.signalNoise.d
        width = config.encoder.width
        patches = 2
        model = config.model.rawValue
        self.mode = mode.rawValue
        exchange = config.loss.exchange
        loss = config.loss.kind.rawValue
        symmetric = config.loss.symmetric
        stopGradient = config.loss.stopGradient
        self.steps = steps
        self.warmup = warmup
        openblasThreads = Int(BLASInfo.threads)
        self.secondsPerStep = secondsPerStep
        phases = list.dropFirst().reduce(list.first?.phases ?? PhaseSeconds()) { $0.maximum($1.phases) }
        let flops = list.compactMap(\.gflopPerStep)
        if flops.count == list.count, !list.isEmpty, secondsPerStep > 0 {
            let total = flops.reduce(0, +)
            gflopPerStep = total
            gflopsTotal = total / secondsPerStep
            gflopsPerRank = total / Double(list.count) / secondsPerStep
            fractionOfPeak = gflopsPerRank.map { $0 / sgemmPeakAlone }
            let unfused = list.compactMap(\.unfusedGflopPerStep)
            if unfused.count == list.count {
                unfusedGflopPerStep = unfused.reduce(0, +)
                usefulGflopsPerRank = unfused.reduce(0, +) / Double(list.count) / secondsPerStep
                usefulFractionOfPeak = usefulGflopsPerRank.map { $0 / sgemmPeakAlone }
            }
        }
        sgemmPeakGflops = sgemmPeakAlone
        sgemmPeakGflopsAllRanks = list.map(\.sgemmPeakGflops).reduce(0, +) / Double(max(list.count, 1))
        bytesPerStepPerRank = list.map(\.bytesPerStep).max() ?? 0
        peakRssBytes = list.map(\.peakRssBytes).max() ?? 0
        allocationsPerStep = allocationsCounted ? list.compactMap(\.allocationsPerStep).max() : nil
        perRank = list
    }

    func json() throws -> String {
        String(decoding: try RunSession.snakeCaseEncoder().encode(self), as: UTF8.self)
    }

    /// One row per rank, plus the header.
    func csv() -> String {
        let phaseKeys = PhaseSeconds().named.map(\.key)
        var lines = [(["rank", "host", "batch", "seconds_per_step"] + phaseKeys
                      + ["peak_rss_bytes", "bytes_per_step", "allocations_per_step", "sgemm_peak_gflops", "gflop_per_step"])
                        .joined(separator: ",")]
        for r in perRank {
            let fields: [CSVField] = [.integer(r.rank), .text(r.host), .integer(r.batch), .number(r.secondsPerStep)]
                + r.phases.named.map { .number($0.seconds) }
                + [.integer(r.peakRssBytes), .integer(r.bytesPerStep), r.allocationsPerStep.map { .number($0) } ?? .text(""),
                   .number(r.sgemmPeakGflops), r.gflopPerStep.map { .number($0) } ?? .text("")]
            lines.append(fields.map(\.rendered).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The human-readable report.
    func table() -> String {
        func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
        func mb(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1e6) }
        var out: [String] = []
        let b = batchPerRank.count > 1 && Set(batchPerRank).count == 1 ? " (\(batchPerRank[0]) per rank)" : " (per rank: \(batchPerRank.map(String.init).joined(separator: ", ")))"
        out.append("infomax bench: \(model) \(mode), \(loss) (\(symmetric && mode == "multi-modal" ? "symmetric" : "one direction")\(stopGradient ? ", stop-gradient" : "")), exchange \(exchange)")
        out.append("  \(ranks) rank(s), global batch \(globalBatch)\(b), d \(d), width \(width), \(patches) patches; "
                   + "\(steps) timed step(s) after \(warmup) warm-up; BLAS threads per rank \(openblasThreads)")
        out.append("")
        let cols = perRank.map { "rank \($0.rank)" }
        func row(_ name: String, _ values: [String], _ last: String) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0) + (values + [last]).map { $0.leftPadded(11) }.joined()
        }
        out.append(row("seconds per step", cols, "slowest"))
        for (i, phase) in PhaseSeconds().named.enumerated() {
            let values = perRank.map { f($0.phases.named[i].seconds) }
            let label = phase.key == "loss_overlapped" ? "  (" + phase.title + ")" : phase.title
            if phase.key == "loss_overlapped" && exchange != "ring" { continue }
            out.append(row(label, values, f(phases.named[i].seconds)))
        }
        out.append(row("step (wall)", perRank.map { f($0.secondsPerStep) }, f(secondsPerStep)))
        out.append("")
        if let gflopsPerRank, let fractionOfPeak, let gflopPerStep {
            out.append("GEMM work per step: \(f(gflopPerStep, 1)) GFLOP over all ranks")
            out.append("achieved: \(f(gflopsPerRank, 1)) GFLOP/s per rank (\(f(gflopsTotal ?? 0, 1)) in total) = "
                       + "\(f(100 * fractionOfPeak, 1))% of the single-process sgemm peak \(f(sgemmPeakGflops, 1)) GFLOP/s")
            out.append("  (sgemm peak per rank with all \(ranks) rank(s) running it at once: \(f(sgemmPeakGflopsAllRanks, 1)) GFLOP/s, "
                       + "\(f(100 * gflopsPerRank / max(sgemmPeakGflopsAllRanks, 1e-9), 1))% of that)")
            if let usefulGflopsPerRank, let usefulFractionOfPeak, let unfusedGflopPerStep, unfusedGflopPerStep > gflopPerStep * (1 + 1e-12) {
                out.append("useful: \(f(usefulGflopsPerRank, 1)) GFLOP/s per rank = \(f(100 * usefulFractionOfPeak, 1))% of the peak, "
                           + "counting the unfused loss's \(f(unfusedGflopPerStep, 1)) GFLOP per step (the fused symmetric loss executes fewer)")
            }
        } else {
            out.append("GEMM work: not counted for this model")
        }
        out.append("bytes sent per step per rank: \(mb(bytesPerStepPerRank)) (loss exchange + gradient all-reduce)")
        out.append("peak resident memory per rank: " + perRank.map { mb($0.peakRssBytes) }.joined(separator: ", "))
        if let allocationsPerStep {
            out.append("heap allocations per step after warm-up: " + perRank.map { f($0.allocationsPerStep ?? 0, 1) }.joined(separator: ", ")
                       + (allocationsPerStep > 0 ? "   (INFOMAX_ALLOC_TRACE=5 shows where)" : ""))
        } else {
            out.append("heap allocations per step: not counted (malloc interposition unavailable in this build)")
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    /// Right-aligned in `width` columns (at least one space before it), for the bench tables.
    func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
