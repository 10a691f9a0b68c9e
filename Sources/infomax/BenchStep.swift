// BenchStep — `infomax bench step` (the default of `infomax bench`): time real training steps and
// print, per rank and overall, where a step's time goes (data, forward, loss compute vs
// communication, backward, all-reduce, optimizer), GFLOP/s against the sgemm peak measured in
// the same run, bytes sent, peak memory and heap allocations per step; as a table, JSON (--json)
// and files (--output). Its config: the built-in signal-noise settings or --config, then the
// typed bench options, then --set.
import ArgumentParser
import CAllocCount
import Foundation
import InfoMax
import MPI
import Synthetic
import Training

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
                  malloc & co. after warm-up by this project's code; those inside
                  the MPI and the BLAS library are reported apart

            Without --config the steps use the built-in signal-noise settings below; with \
            it, the file's values stand unless an option sets them. --set overrides both.

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

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Patch dimension d (signal_noise.d). Default 2048, or the --config file's value.")
    var d: Int?

    @Option(help: "Encoder width m (encoder.width). Default 1024, or the --config file's value.")
    var width: Int?

    @Option(
        help: ArgumentHelp(
            "Global batch (strong scaling). Default 4096, or the --config file's train_samples.", valueName: "B"))
    var batch: Int?

    @Option(help: ArgumentHelp("Samples per rank; the global batch is this × ranks (weak scaling).", valueName: "b"))
    var batchPerRank: Int?

    @Option(
        help: ArgumentHelp(
            "Train mini-batch steps of the global batch from a training set of N samples (default: full batch, n = the batch).",
            valueName: "N"))
    var trainSamples: Int?

    @Option(
        help: ArgumentHelp(
            "Like --train-samples with N × ranks samples (weak scaling of the data set size).", valueName: "N"))
    var trainSamplesPerRank: Int?

    @Option(
        help: ArgumentHelp(
            "Instead of the phase table: time mini-batch steps from --train-samples and from N samples alternately, step by step in the same processes (so the machine's load hits both alike), and print both step times and their ratio.",
            valueName: "N"))
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
        if batch != nil && batchPerRank != nil {
            throw ValidationError("give --batch (global) or --batch-per-rank, not both")
        }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let batchPerRank, batchPerRank < 1 {
            throw ValidationError("--batch-per-rank must be at least 1, got \(batchPerRank)")
        }
        if trainSamples != nil && trainSamplesPerRank != nil {
            throw ValidationError("give --train-samples or --train-samples-per-rank, not both")
        }
        if let trainSamplesPerRank, trainSamplesPerRank < 1 {
            throw ValidationError("--train-samples-per-rank must be at least 1, got \(trainSamplesPerRank)")
        }
        if let versusTrainSamples {
            guard versusTrainSamples >= 1 else {
                throw ValidationError("--versus-train-samples must be at least 1, got \(versusTrainSamples)")
            }
            guard trainSamples != nil || trainSamplesPerRank != nil else {
                throw ValidationError("--versus-train-samples compares with --train-samples N: give that too")
            }
        }
        if let trainSamples, trainSamples < 1 {
            throw ValidationError("--train-samples must be at least 1, got \(trainSamples)")
        }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
    }

    /// The bench's config settings on `ranks` ranks, typed (`--set` comes after them, so it
    /// wins): a full-batch run of warm-up + timed steps, logged and evaluated only after them.
    func settings(ranks: Int) -> [ConfigSetting] {
        var settings = [
            ConfigSetting(.mode, mode.modality), ConfigSetting(.batchSize, 0),
            ConfigSetting(.steps, warmup + steps), ConfigSetting(.evalEvery, 0),
            ConfigSetting(.logEvery, warmup + steps + 1), ConfigSetting(.name, .text("bench")),
        ]
        let withoutFile = configOptions.config == nil
        let n = trainSamplesPerRank.map { $0 * ranks } ?? trainSamples
        let global = batchPerRank.map({ $0 * ranks }) ?? batch ?? (withoutFile || n != nil ? 4096 : nil)
        if let trainSamples = n, let global {
            // Mini-batch steps: the batch is drawn from n samples by the epoch shuffle.
            settings += [ConfigSetting(.trainSamples, trainSamples), ConfigSetting(.batchSize, global)]
        } else if let global {
            settings.append(ConfigSetting(.trainSamples, global))
        }
        // Without a config file: the GEMM-dominated signal-noise default; with one, its values
        // stand unless a flag says otherwise (a config file may also pick another model).
        if withoutFile {
            settings += [
                ConfigSetting(.model, DataModelKind.signalNoise), ConfigSetting(.signalNoiseD, d ?? 2048),
                ConfigSetting(.encoderWidth, width ?? 1024),
            ]
        } else {
            if let d { settings.append(ConfigSetting(.signalNoiseD, d)) }
            if let width { settings.append(ConfigSetting(.encoderWidth, width)) }
        }
        if let exchange { settings.append(ConfigSetting(.lossExchange, exchange)) }
        return settings
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            let cfg = try options.configOptions.load(comm, settings: options.settings(ranks: comm.size))
            let mode = options.mode.modality
            try MPIRun.checkMemory(comm, [cfg], purpose: .bench)
            let output = options.output.map { URL(fileURLWithPath: $0) }
            if let output {
                if output.path.isEmpty || options.output?.isEmpty == true {
                    throw OutputFolder.refused("--output is empty: pass a folder, e.g. --output runs/bench")
                }
                // Created with its marker; a folder infomax did not create is refused.
                _ = try comm.onRoot(exitCode: ExitCodes.usage) {
                    try OutputFolder.prepare(output, kind: .bench, force: false)
                }
            }

            if let other = options.versusTrainSamples {
                return try BenchInterleavedSteps.run(
                    comm, config: cfg, otherSamples: other, mode: mode,
                    steps: options.steps,
                    warmup: options.warmup, output: output)
            }

            // The machine's own sgemm peak, measured now: rank 0 alone (the others sleep rather
            // than spin in MPI), then every rank at once.
            let alone = try BenchStep.sgemmPeakAlone(comm)
            try comm.barrier()
            let together = StepBenchmark.sgemmPeak(clock: comm.wtime)

            let problem = try makeProblem(config: cfg, mode: mode, comm: comm)
            let trainer = Trainer(config: cfg, mode: mode, problem: problem, comm: comm)
            let globalBatch = cfg.batchSize == 0 ? cfg.trainSamples : cfg.batchSize
            let local = try Shard(count: globalBatch, rank: comm.rank, size: comm.size).range.count
            let counting = BenchStep.allocationCountingWorks()
            let trace = LaunchEnvironment.value("INFOMAX_ALLOC_TRACE").flatMap { Int($0) } ?? 0
            // Allocations are counted as this project's unless their call stack passes through
            // the MPI or the BLAS library (counted separately: reported, not refused).
            var mpiBefore: UInt64 = 0
            var blasBefore: UInt64 = 0
            var (mine, stepSeconds) = try StepBenchmark.run(
                trainer: trainer, steps: options.steps, warmup: options.warmup, batch: local, sgemmPeakGflops: together,
                allocationCount: counting
                    ? { imx_alloc_count() - imx_alloc_count_mpi() - imx_alloc_count_blas() } : nil,
                beforeTimedSteps: {
                    if counting {
                        _ = imx_alloc_attribute_mpi(1)
                        mpiBefore = imx_alloc_count_mpi()
                        blasBefore = imx_alloc_count_blas()
                    }
                    if trace > 0 { imx_alloc_trace(Int32(trace)) }
                })
            imx_alloc_trace(0)
            if counting {
                mine.mpiAllocationsPerStep = Double(imx_alloc_count_mpi() - mpiBefore) / Double(max(options.steps, 1))
                mine.blasAllocationsPerStep =
                    Double(imx_alloc_count_blas() - blasBefore) / Double(max(options.steps, 1))
                _ = imx_alloc_attribute_mpi(0)
            }
            // The slowest rank of each step sets the pace.
            try comm.allreduce(inPlace: &stepSeconds, op: .max)
            let encoded = try JSONEncoder().encode(mine)
            guard let gathered = try comm.gatherv(Array(encoded) + [10]) else { return ExitCodes.success }
            let ranks = try String(decoding: gathered.values, as: UTF8.self).split(separator: "\n").map {
                try JSONDecoder().decode(RankBenchmark.self, from: Data($0.utf8))
            }
            let report = BenchReport(
                config: cfg, mode: mode, steps: options.steps, warmup: options.warmup,
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

    /// Rank 0's single-thread sgemm GFLOP/s while the other ranks sleep (polling a receive every
    /// millisecond instead of spinning in a blocking MPI call); every rank gets the figure.
    static func sgemmPeakAlone(_ comm: Communicator) throws -> Double {
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
    static func allocationCountingWorks() -> Bool {
        guard imx_alloc_self_test() != 0 else { return false }
        let before = imx_alloc_count()
        let probe = [Int](repeating: 7, count: 64 + Int(before % 3))
        return withExtendedLifetime(probe) { imx_alloc_count() > before }
    }
}
