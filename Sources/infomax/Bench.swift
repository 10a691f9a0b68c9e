// Bench — `infomax bench`: time real training steps and print, per rank and overall, where a
// step's time goes (data, forward, loss compute vs communication, backward, all-reduce,
// optimizer), GFLOP/s against the sgemm peak measured in the same run, bytes sent, peak
// memory and heap allocations per step; as a table, JSON (--json) and files (--output).
// `infomax bench allreduce` and `infomax bench network` measure the communication alone.
import ArgumentParser
import CAllocCount
import Foundation
import InfoMax
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
        Runs --warmup untimed and --steps timed full-batch training steps (the real \
        trainer: synthetic data, encoders, distributed InfoNCE, fused gradient \
        all-reduce, optimizer) and prints, per rank and overall:

          time per step by phase
              data, forward, loss compute, loss communication (time blocked in
              MPI; with --exchange ring also the transfer time hidden behind
              compute), backward, all-reduce, optimizer
          GFLOP/s
              GEMM work of the step / wall time of the slowest rank, against the
              single-thread sgemm peak measured in the same run (rank 0 alone,
              and all ranks at once)
          bytes sent per step
              loss exchange + gradient all-reduce (ring volumes)
          peak resident memory
              per rank (getrusage), next to the estimate made from the config
              before the run (train --dry-run; JSON estimated_peak_bytes,
              peak_estimate_ratio)
          heap allocations per step
              malloc & co. of the whole process after warm-up (Swift, OpenBLAS
              and Open MPI alike)

        Strong scaling keeps --batch (global) fixed over rank counts; weak scaling \
        keeps --batch-per-rank fixed. Examples:

          mpirun -np 2 infomax bench              # d 2048, m 1024, B 4096
          mpirun -np 2 infomax bench --batch 65536 --width 32 --d 256 \\
              --exchange ring
          mpirun -np 2 infomax bench --batch-per-rank 2048 --json \\
              --output runs/bench-weak-2
          mpirun -np 2 infomax bench --batch 4096 --d 2000 --width 50 \\
              --train-samples 1000000000

        --train-samples N makes the steps mini-batch steps of the global batch drawn \
        from N samples by the epoch shuffle (a step's cost must not depend on N); \
        --train-samples-per-rank grows N with the rank count (weak scaling of the \
        data set).

        Set OPENBLAS_NUM_THREADS=1 when the ranks fill the cores (the comparison with \
        the single-thread sgemm peak assumes it). INFOMAX_ALLOC_TRACE=N prints a \
        backtrace of the first N allocations inside the timed steps (to find who \
        allocates).
        """)

    @Option(help: ArgumentHelp("A JSON or YAML config file to start from (default: the built-in signal-noise settings).", valueName: "file"))
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

    @Option(help: ArgumentHelp("Train mini-batch steps of the global batch from a training set of N samples (default: full batch, n = the batch).", valueName: "N"))
    var trainSamples: Int?

    @Option(help: ArgumentHelp("Like --train-samples with N × ranks samples (weak scaling of the data set size).", valueName: "N"))
    var trainSamplesPerRank: Int?

    @Option(help: ArgumentHelp("Instead of the phase table: time mini-batch steps from --train-samples and from N samples alternately, step by step in the same processes (so the machine's load hits both alike), and print both step times and their ratio.", valueName: "N"))
    var versusTrainSamples: Int?

    @Option(help: "Timed steps.")
    var steps: Int = 5

    @Option(help: "Untimed warm-up steps before them (buffers grow, pages are touched).")
    var warmup: Int = 2

    @Option(help: "Which encoders a step trains.")
    var mode: StepModality = .multiModal

    @Option(help: "Candidate exchange of the distributed loss; sets the config key loss.exchange.")
    var exchange: CandidateExchange?

    @Option(help: ArgumentHelp("Also write DIR/bench.json and DIR/bench.csv (one row per rank).", valueName: "dir"))
    var output: String?

    @Flag(help: "Print the JSON report instead of the table.")
    var json = false

    func validate() throws {
        if batch != nil && batchPerRank != nil { throw ValidationError("give --batch (global) or --batch-per-rank, not both") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let batchPerRank, batchPerRank < 1 { throw ValidationError("--batch-per-rank must be at least 1, got \(batchPerRank)") }
        if trainSamples != nil && trainSamplesPerRank != nil { throw ValidationError("give --train-samples or --train-samples-per-rank, not both") }
        if let trainSamplesPerRank, trainSamplesPerRank < 1 { throw ValidationError("--train-samples-per-rank must be at least 1, got \(trainSamplesPerRank)") }
        if let versusTrainSamples {
            guard versusTrainSamples >= 1 else { throw ValidationError("--versus-train-samples must be at least 1, got \(versusTrainSamples)") }
            guard trainSamples != nil || trainSamplesPerRank != nil else {
                throw ValidationError("--versus-train-samples compares with --train-samples N: give that too")
            }
        }
        if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be at least 1, got \(trainSamples)") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
    }

    func resolvedOverrides(ranks: Int) -> [String] {
        var o = ["mode=\"\(mode.rawValue)\"", "batch_size=0", "steps=\(warmup + steps)", "eval_every=0",
                 "log_every=\(warmup + steps + 1)", "name=\"bench\""]
        let n = trainSamplesPerRank.map { $0 * ranks } ?? trainSamples
        let global = batchPerRank.map({ $0 * ranks }) ?? batch ?? (config == nil || n != nil ? 4096 : nil)
        if let trainSamples = n, let global {
            // Mini-batch steps: the batch is drawn from n samples by the epoch shuffle.
            o += ["train_samples=\(trainSamples)", "batch_size=\(global)"]
        } else if let global {
            o.append("train_samples=\(global)")
        }
        // Without a config file: the GEMM-dominated signal-noise default; with one, its values
        // stand unless a flag says otherwise (a config file may also pick another model).
        if config == nil { o += ["model=\"signal-noise\"", "signal_noise.d=\(d ?? 2048)", "encoder.width=\(width ?? 1024)"] }
        else {
            if let d { o.append("signal_noise.d=\(d)") }
            if let width { o.append("encoder.width=\(width)") }
        }
        if let exchange { o.append("loss.exchange=\"\(exchange.rawValue)\"") }
        return o + overrides
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            let cfg = try MPIRun.loadConfig(comm, path: options.config, overrides: options.resolvedOverrides(ranks: comm.size))
            let mode = options.mode.modality
            try MPIRun.checkMemory(comm, [cfg], purpose: .bench)
            let output = options.output.map { URL(fileURLWithPath: $0) }
            if let output {
                if output.path.isEmpty || options.output?.isEmpty == true {
                    throw OutputFolder.refused("--output is empty: pass a folder, e.g. --output runs/bench")
                }
                // Created with its marker; a folder infomax did not create is refused.
                _ = try comm.onRoot(exitCode: ExitCodes.usage) { try OutputFolder.prepare(output, kind: .bench, force: false) }
            }

            if let other = options.versusTrainSamples {
                return try interleavedSteps(comm, config: cfg, otherSamples: other, mode: mode, steps: options.steps,
                                            warmup: options.warmup, output: output)
            }

            // The machine's own sgemm peak, measured now: rank 0 alone (the others sleep rather
            // than spin in MPI), then every rank at once.
            let alone = try sgemmPeakAlone(comm)
            try comm.barrier()
            let together = StepBenchmark.sgemmPeak(clock: comm.wtime)

            let problem = try makeProblem(config: cfg, mode: mode, comm: comm)
            let trainer = Trainer(config: cfg, mode: mode, problem: problem, comm: comm)
            let globalBatch = cfg.batchSize == 0 ? cfg.trainSamples : cfg.batchSize
            let local = try Shard(count: globalBatch, rank: comm.rank, size: comm.size).range.count
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
            guard let gathered = try comm.gatherv(Array(encoded) + [10]) else { return ExitCodes.success }
            let ranks = try String(decoding: gathered.values, as: UTF8.self).split(separator: "\n").map {
                try JSONDecoder().decode(RankBenchmark.self, from: Data($0.utf8))
            }
            let report = BenchReport(config: cfg, mode: mode, steps: options.steps, warmup: options.warmup,
                                     secondsPerStep: stepSeconds.reduce(0, +) / Double(stepSeconds.count),
                                     sgemmPeakAlone: alone, ranks: ranks, allocationsCounted: counting)
            let json = try report.json()
            if options.json { print(json) } else { print(report.table()) }
            if let output {
                try AtomicFile.write(json + "\n", to: output.appendingPathComponent(BenchReport.file))
                try AtomicFile.write(report.csv(), to: output.appendingPathComponent("bench.csv"))
                if !options.json { print("wrote \(output.path)/bench.json and bench.csv") }
            }
            return ExitCodes.success
        }
    }
}

/// `bench --train-samples A --versus-train-samples B`: two trainers that differ only in n take
/// their steps alternately (which one goes first alternates too), each step timed between
/// barriers as the slowest rank's wall time; prints mean, median and fastest step per n and the
/// ratios, and writes DIR/bench-versus.json with --output. Whatever load the machine has hits
/// both alike, so the ratio is meaningful on a shared machine where absolute times are not.
private func interleavedSteps(_ comm: Communicator, config a: TrainConfig, otherSamples: Int, mode: ModalityMode,
                              steps: Int, warmup: Int, output: URL?) throws -> Int32 {
    var b = a
    b.trainSamples = otherSamples
    try b.validate(ranks: comm.size)
    let configs = [a, b]
    let trainers = try configs.map { c in Trainer(config: c, mode: mode, problem: try makeProblem(config: c, mode: mode, comm: comm), comm: comm) }
    var states = trainers.map { $0.initialState() }
    var times = [[Double]](repeating: [], count: 2)
    var scratch = StepTiming()
    for s in 0..<(warmup + steps) {
        for k in (s % 2 == 0 ? [0, 1] : [1, 0]) {
            try comm.barrier()
            let t0 = comm.wtime()
            _ = try trainers[k].computeGradient(&states[k], timing: &scratch)
            trainers[k].applyUpdate(&states[k], timing: &scratch)
            if s >= warmup { times[k].append(comm.wtime() - t0) }
        }
    }
    for k in 0..<2 { try comm.allreduce(inPlace: &times[k], op: .max) }
    guard comm.isRoot else { return ExitCodes.success }
    func median(_ x: [Double]) -> Double { let s = x.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
    let stats = times.map { (mean: $0.reduce(0, +) / Double($0.count), median: median($0), fastest: $0.min() ?? .nan) }
    func f(_ x: Double) -> String { String(format: "%.4f", x) }
    let batch = a.batchSize == 0 ? a.trainSamples : a.batchSize
    print("infomax bench --versus-train-samples: \(comm.size) rank(s), global batch \(batch), d \(a.signalNoise.d), width \(a.encoder.width), "
          + "\(mode.rawValue); \(steps) timed steps each, alternating, after \(warmup) warm-up")
    print("n".padding(toLength: 16, withPad: " ", startingAt: 0) + ["mean s/step", "median", "fastest"].map { $0.leftPadded(14) }.joined())
    for k in 0..<2 {
        print("\(configs[k].trainSamples)".padding(toLength: 16, withPad: " ", startingAt: 0)
              + [stats[k].mean, stats[k].median, stats[k].fastest].map { f($0).leftPadded(14) }.joined())
    }
    let ratio = (mean: stats[1].mean / stats[0].mean, median: stats[1].median / stats[0].median, fastest: stats[1].fastest / stats[0].fastest)
    print("ratio n = \(b.trainSamples) / n = \(a.trainSamples): mean \(f(ratio.mean)), median \(f(ratio.median)), fastest \(f(ratio.fastest))")
    if let output {
        let json: [String: Any] = [
            "schema": "infomax-bench-versus/1", "ranks": comm.size, "global_batch": batch, "d": a.signalNoise.d,
            "width": a.encoder.width, "mode": mode.rawValue, "steps": steps, "warmup": warmup,
            "train_samples": configs.map(\.trainSamples), "step_seconds": times,
            "mean_seconds_per_step": stats.map(\.mean), "median_seconds_per_step": stats.map(\.median),
            "ratio_mean": ratio.mean, "ratio_median": ratio.median, "ratio_fastest": ratio.fastest]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: output.appendingPathComponent("bench-versus.json"))
        print("wrote \(output.path)/bench-versus.json")
    }
    return ExitCodes.success
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

/// bench.json (RunRecords' `BenchReport`) from the ranks' measurements, and its table and CSV.
extension BenchReport {
    init(config: TrainConfig, mode: ModalityMode, steps: Int, warmup: Int, secondsPerStep: Double,
         sgemmPeakAlone: Double, ranks list: [RankBenchmark], allocationsCounted: Bool) {
        self.init(ranks: list.count, globalBatch: config.batchSize == 0 ? config.trainSamples : config.batchSize,
                  trainSamples: config.trainSamples, batchPerRank: list.map(\.batch), d: config.signalNoise.d,
                  width: config.encoder.width, patches: 2, model: config.model, mode: mode, exchange: config.loss.exchange.rawValue,
                  loss: config.loss.kind.rawValue, symmetric: config.loss.symmetric, stopGradient: config.loss.stopGradient,
                  steps: steps, warmup: warmup, openblasThreads: Int(BLASInfo.threads), secondsPerStep: secondsPerStep,
                  phases: list.dropFirst().reduce(list.first?.phases ?? PhaseSeconds()) { $0.maximum($1.phases) },
                  sgemmPeakGflops: sgemmPeakAlone,
                  sgemmPeakGflopsAllRanks: list.map(\.sgemmPeakGflops).reduce(0, +) / Double(max(list.count, 1)),
                  bytesPerStepPerRank: list.map(\.bytesPerStep).max() ?? 0, peakRssBytes: list.map(\.peakRssBytes).max() ?? 0,
                  estimatedPeakBytesPerRank: list.map {
                      MemoryEstimate(config: config, ranks: list.count, rank: $0.rank, purpose: .bench).totalBytes.value
                  },
                  perRank: list)
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
        if let top = list.indices.max(by: { list[$0].peakRssBytes < list[$1].peakRssBytes }),
           let estimate = estimatedPeakBytesPerRank[top], list[top].peakRssBytes > 0 {
            estimatedPeakBytes = estimate
            peakEstimateRatio = Double(estimate) / Double(list[top].peakRssBytes)
        }
        allocationsPerStep = allocationsCounted ? list.compactMap(\.allocationsPerStep).max() : nil
    }

    func json() throws -> String {
        try RecordCoding.text(self)
    }

    /// One row per rank, plus the header.
    func csv() -> String {
        let phaseKeys = PhaseSeconds().named.map(\.key)
        var lines = [(["rank", "host", "batch", "seconds_per_step"] + phaseKeys
                      + ["peak_rss_bytes", "estimated_peak_bytes", "bytes_per_step", "allocations_per_step", "sgemm_peak_gflops", "gflop_per_step"])
                        .joined(separator: ",")]
        for (i, r) in perRank.enumerated() {
            let fields: [CSVField] = [.integer(r.rank), .text(r.host), .integer(r.batch), .number(r.secondsPerStep)]
                + r.phases.named.map { .number($0.seconds) }
                + [.integer(r.peakRssBytes), estimatedPeakBytesPerRank[i].map { .integer($0) } ?? .text(""), .integer(r.bytesPerStep), r.allocationsPerStep.map { .number($0) } ?? .text(""),
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
        out.append("infomax bench: \(model.rawValue) \(mode.rawValue), \(loss) (\(symmetric && mode == .multiModal ? "symmetric" : "one direction")\(stopGradient ? ", stop-gradient" : "")), exchange \(exchange)")
        out.append("  \(ranks) rank(s), global batch \(globalBatch)\(b)"
                   + (trainSamples == globalBatch ? " (full batch)" : " of n = \(trainSamples) (mini-batch)")
                   + ", d \(d), width \(width), \(patches) patches; "
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
                           + "counting the plain algorithm's \(f(unfusedGflopPerStep, 1)) GFLOP per step (encoder gemms over every patch, "
                           + "the unfused loss; this step executes fewer)")
            }
        } else {
            out.append("GEMM work: not counted for this model")
        }
        out.append("bytes sent per step per rank: \(mb(bytesPerStepPerRank)) (loss exchange + gradient all-reduce)")
        out.append("peak resident memory per rank: " + perRank.map { mb($0.peakRssBytes) }.joined(separator: ", "))
        out.append("  estimated before the run (infomax train --dry-run): "
                   + estimatedPeakBytesPerRank.map { $0.map(mb) ?? "overflow" }.joined(separator: ", ")
                   + (peakEstimateRatio.map { String(format: "; estimate / measured %.2f", $0) } ?? ""))
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
