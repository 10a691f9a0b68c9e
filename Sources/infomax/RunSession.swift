// RunSession — one `infomax train` launch: prepares the output folder (refusing to clobber a
// finished run or to ignore a checkpoint), trains each modality in turn, writes summaries,
// the comparison and the report, and turns a signal into a checkpoint and exit code 75
// (summary.json says `checkpointed` as soon as rank 0's watchdog thread wrote the checkpoint).
import Foundation
import MPI
import Report
import RunRecords
import Training

struct RunSession {
    let config: TrainConfig
    let comm: Communicator
    let output: URL
    let resume: Bool
    let force: Bool
    let progress: ProgressStyle
    /// Write report.html and print the table at the end (off for sweep points).
    var finalReport = true
    /// Called on this communicator's rank 0 after every training step (a grouped sweep's
    /// dispatcher answers the other groups from here); set only where `comm.isRoot`.
    var betweenSteps: (() -> Void)? = nil

    var modes: [ModalityMode] { config.mode == .compare ? [.multiModal, .singleModal] : [config.mode] }

    func folder(for mode: ModalityMode) -> URL {
        config.mode == .compare ? output.appendingPathComponent("points").appendingPathComponent(mode.rawValue) : output
    }

    /// The summary of a run folder that was not ended by an error (nil: none, unreadable, or failed).
    static func readSummary(_ folder: URL) -> RunSummary? {
        (try? SummaryFile.read(folder: folder))??.run
    }

    /// Rank 0 checks and prepares the folder; every rank learns the outcome.
    func prepare() throws {
        try comm.onRoot(exitCode: ExitCodes.usage) {
            let fm = FileManager.default
            // A folder infomax did not create is never written into, nor emptied by --force.
            if !force { try OutputFolder.requireUsable(output) }
            let finished = modes.allSatisfy { RunSession.readSummary(folder(for: $0))?.status == .completed }
            let checkpointed = modes.contains { fm.fileExists(atPath: folder(for: $0).appendingPathComponent("checkpoint.ckpt").path) }
            if force {
                // Removes only what our runs write, refusing (before deleting anything) a foreign entry.
                try OutputFolder.prepare(output, kind: .run, force: true)
            } else if finished && !resume {
                throw RootError(message: "\(output.path) already holds a finished run; use --force to overwrite it or --output for a new folder",
                                exitCode: ExitCodes.usage)
            } else if checkpointed && !resume {
                throw RootError(message: "\(output.path) holds a checkpoint of an interrupted run; pass --resume to continue it, or --force to start over",
                                exitCode: ExitCodes.usage)
            }
            try OutputFolder.prepare(output, kind: .run, force: false)
            // points/<mode> of a comparison: marked like any run folder.
            for m in modes where folder(for: m) != output { try OutputFolder.prepare(folder(for: m), kind: .run, force: false) }
            try AtomicFile.write(Data(try ConfigLoader.json(config).utf8), to: output.appendingPathComponent("config.json"))
            if config.mode == .compare {
                let sweep = SweepIndex(parameters: ["mode"], points: modes.map { SweepIndex.Point(name: $0.rawValue, values: ["mode": .string($0.rawValue)]) })
                try AtomicFile.write(sweep.text, to: output.appendingPathComponent(SweepIndex.file))
            }
        }
    }

    /// Reads the checkpoint of `folder` on rank 0 and shares it with every rank.
    func loadCheckpoint(_ folder: URL) throws -> Checkpoint? {
        let url = folder.appendingPathComponent("checkpoint.ckpt")
        let bytes = try comm.onRoot(exitCode: ExitCodes.dataError) { () -> [UInt8] in
            guard resume, FileManager.default.fileExists(atPath: url.path) else { return [] }
            let c = try Data(contentsOf: url)
            _ = try Checkpoint.decode(c, path: url.path)   // verify on rank 0 first
            return [UInt8](c)
        }
        let shared = try comm.broadcast(bytes ?? [])
        return shared.isEmpty ? nil : try Checkpoint.decode(Data(shared), path: url.path)
    }

    /// Trains every modality of the run; returns the exit status.
    func run() throws -> Int32 {
        try run(summaries: nil)
    }

    /// Like `run()`, handing the summaries (rank 0) to `summaries`.
    func run(summaries collect: ((RunSummary) -> Void)?) throws -> Int32 {
        // Test faults (INFOMAX_FAULTS), none in a normal run: read here, for every run of the launch,
        // before the folder is touched (a malformed value exits 64).
        let faults = try FaultPlan.fromEnvironment()
        try prepare()
        StopSignal.install()
        var summaries: [RunSummary] = []
        // The multi-modal run's image encoder guides a following single-modal guided run.
        var guide: GuideEncoder?
        for mode in modes {
            let dir = folder(for: mode)
            // A point finished before an interruption is not trained again (rank 0 reads the folder).
            let finished = (resume && comm.isRoot) ? RunSession.readSummary(dir).flatMap { $0.status == .completed ? $0 : nil } : nil
            if try comm.anyTrue(finished != nil) {
                if let finished { summaries.append(finished); collect?(finished) }
                continue
            }
            let checkpoint = try loadCheckpoint(dir)
            let problem = try makeProblem(config: config, mode: mode, comm: comm, guide: guide)
            var outputs = RunOutputs(checkpointURL: dir.appendingPathComponent("checkpoint.ckpt"))
            var files: MetricsFiles?
            if comm.isRoot {
                // A checkpoint written off the training loop (signal mid-step, stall, dead launcher) says so at once.
                let summaryURL = dir.appendingPathComponent(RunSummary.file)
                outputs.summaryWriter = { summary in try? RecordCoding.write(summary, to: summaryURL) }
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                files = try MetricsFiles(folder: dir, resumeStep: checkpoint?.step)
                outputs.metrics = files
                outputs.progress = progressSink(label: mode.rawValue)
            }
            let trainer = Trainer(config: config, mode: mode, problem: problem, comm: comm,
                                  outputs: outputs, faults: faults)
            let summary: RunSummary
            do {
                summary = try trainer.run(resumingFrom: checkpoint)
            } catch {
                if comm.isRoot {
                    files?.close()
                    try? RecordCoding.write(FailedRun(mode: mode, error: "\(error)"), to: dir.appendingPathComponent(RunSummary.file))
                }
                throw error
            }
            if comm.isRoot {
                files?.close()
                try RecordCoding.write(summary, to: dir.appendingPathComponent(RunSummary.file))
                // A finished multi-modal co-occurrence run can guide later runs (cooccurrence.guide_run).
                if summary.status == .completed { try GuideEncoder.of(problem)?.write(to: dir) }
            }
            summaries.append(summary)
            collect?(summary)
            guide = GuideEncoder.of(problem) ?? guide
            if summary.status == .checkpointed { return ExitCodes.checkpointed }
        }
        if comm.isRoot && finalReport {
            if config.mode == .compare { try writeComparison(summaries) }
            printSummary(summaries)
            do {
                let report = try writeReport(for: output, to: nil)
                print("report: \(report.path)")
            } catch {
                print("(report not written: \(error))")
            }
        }
        return ExitCodes.success
    }

    /// Rank 0's progress display for the run labelled `label`, polling `betweenSteps` if set.
    func progressSink(label: String) -> ProgressSink? {
        let console: ProgressSink?
        switch progress {
        case .none: console = nil
        case .bar: console = ConsoleProgress(label: label, interactive: true)
        case .lines: console = ConsoleProgress(label: label, interactive: false)
        case .auto: console = ConsoleProgress(label: label, interactive: LaunchEnvironment.stdoutIsTerminal)
        }
        guard let betweenSteps else { return console }
        return PollingProgress(inner: console, poll: betweenSteps)
    }

    func writeComparison(_ s: [RunSummary]) throws {
        let csv = try CSVWriter(creating: output.appendingPathComponent(ComparisonTable.fileName), header: ComparisonTable.header)
        for r in s { try csv.write(ComparisonTable.row(r)) }
        try csv.close()
    }

    func printSummary(_ s: [RunSummary]) {
        func f(_ x: Double?, _ digits: Int = 4) -> String { x.map { String(format: "%.\(digits)g", $0) } ?? "–" }
        let columns: [(String, (RunSummary) -> String)] = [
            ("mode", { $0.mode.rawValue }), ("loss", { f($0.finalLoss) }), ("train acc", { f($0.trainAccuracy, 3) }),
            ("test acc", { f($0.testAccuracy, 3) }), ("signal", { f($0.signalLearning) }), ("noise", { f($0.noiseMemorization) }),
            ("cond", { f($0.conditionNumber) }), ("align", { f($0.subspaceAlignment, 3) }), ("s/step", { f($0.secondsPerStep, 3) }),
        ].filter { col in col.0 == "mode" || s.contains { col.1($0) != "–" } }
        let rows = [columns.map(\.0)] + s.map { r in columns.map { $0.1(r) } }
        let widths = columns.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        print("")
        print("\(config.name): \(config.model.rawValue), \(config.loss.kind.rawValue), \(config.steps) steps, \(comm.size) rank(s), seed \(config.seed)")
        for (i, row) in rows.enumerated() {
            print(row.enumerated().map { c, v in c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                   : String(repeating: " ", count: widths[c] - v.count) + v }.joined(separator: "  "))
            if i == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        print("results: \(output.path)")
    }
}
