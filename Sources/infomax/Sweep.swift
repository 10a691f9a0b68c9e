// Sweep — `infomax sweep`: a grid of runs (e.g. SNR × modality × seed) run inside one mpirun
// (one after another, or on groups of ranks at once: SweepScheduler), or one point per Slurm
// array task with --index; each point is a run
// folder under DIR/points/, finished points are skipped, and DIR/sweep.json describes it.
import ArgumentParser
import Foundation
import MPI
import Report
import Training

/// One axis of a grid: a config key and its values (JSON literals or bare words).
struct GridAxis: ExpressibleByArgument {
    let key: String
    let values: [String]

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else { return nil }
        key = String(argument[..<eq]).replacingOccurrences(of: "-", with: "_")
        values = argument[argument.index(after: eq)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if values.isEmpty { return nil }
    }

    init(key: String, values: [String]) { self.key = key; self.values = values }
}

/// One grid point: its values in axis order and its folder name.
struct GridPoint {
    let assignments: [(key: String, value: String)]

    var name: String {
        assignments.map { a in
            let k = a.key.split(separator: ".").last.map(String.init) ?? a.key
            let v = a.value.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "/", with: "_")
            return "\(k)-\(v)"
        }.joined(separator: "_")
    }

    var overrides: [String] { assignments.map { "\($0.key)=\($0.value)" } }

    /// The point's values as `--set` assignments (applied after the sweep's own --set: they win).
    var settings: [ConfigSetting] { overrides.map(ConfigSetting.assignment) }
}

enum Grid {
    /// The Cartesian product of the axes, the first axis varying slowest.
    static func points(_ axes: [GridAxis]) -> [GridPoint] {
        var points = [GridPoint(assignments: [])]
        for axis in axes {
            points = points.flatMap { p in axis.values.map { GridPoint(assignments: p.assignments + [(axis.key, $0)]) } }
        }
        return points
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a grid of trainings (e.g. SNR × modality × seed), resumable, or one point per Slurm array task.",
        discussion: """
        Each --grid adds an axis: --grid signal_noise.snr=0.02,0.05,0.1 --grid \
        seed=1,2,3. If the config's mode is compare and no mode axis is given, the \
        sweep adds --grid mode=multi-modal,single-modal.

        Points run one after another on all ranks, or, with --ranks-per-point k, on \
        groups of k ranks at once (each point handed to the next free group; its \
        results equal a run of that point alone on k ranks). A failing point is \
        recorded (status failed, its error in summary.json and sweep.csv) and the \
        others go on; the exit code is the first failed point's. Finished points \
        (summary.json with status completed) are skipped, interrupted ones resume \
        from their checkpoint. With --index N only point N runs (Slurm job arrays: \
        --index $SLURM_ARRAY_TASK_ID); --list prints the points and their indices.

        Every point (or the --index one) must fit in memory before any runs: a point \
        whose estimated peak exceeds what its node can use is refused with exit 64 \
        (see infomax train --dry-run).

        DIR/sweep.json lists the parameters and points, DIR/points/<name>/ holds each \
        run, DIR/sweep.csv one row per finished point, and DIR/report.html the plots \
        (written when every point is done; also: infomax report DIR).
        """)

    /// The base config of every point: --config and --set.
    @OptionGroup var configOptions: ConfigOptions

    @Option(help: ArgumentHelp("An axis of the grid: key=v1,v2,... (repeatable).", valueName: "key=values"))
    var grid: [GridAxis] = []

    @Option(help: ArgumentHelp("Sweep folder (default runs/<name>-sweep).", valueName: "dir"))
    var output: String?

    @Option(parsing: .unconditional, help: "Run only point N (0-based; e.g. $SLURM_ARRAY_TASK_ID).")
    var index: Int?   // .unconditional: `--index -1` is refused as outside the grid, not as a missing value

    @Flag(help: "Print the points with their indices and exit.")
    var list = false

    @Option(help: "Progress display; auto: a bar on a terminal, lines under mpirun/srun.")
    var progress: ProgressStyle = .auto

    @Option(help: ArgumentHelp("Ranks per point: split the ranks into groups of k that run different points at once, handed out as groups free up (default: all ranks on each point).", valueName: "k"))
    var ranksPerPoint: Int?

    func axes(for base: TrainConfig) -> [GridAxis] {
        var axes = grid
        if base.mode == .compare && !axes.contains(where: { $0.key == ConfigKey.mode.path }) {
            let modes: [ModalityMode] = [.multiModal, .singleModal]
            axes.append(GridAxis(key: ConfigKey.mode.path, values: modes.map(\.rawValue)))
        }
        return axes
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            if options.output?.isEmpty == true { throw OutputFolder.refused("--output is empty: pass a folder, e.g. --output runs/my-sweep") }
            let file = options.configOptions.config
            let text = try comm.onRoot(exitCode: ExitCodes.dataError) { try file.map(ConfigLoader.readFile) ?? "" }
            let shared = try comm.broadcast(text ?? "")
            let fileText = file == nil ? nil : shared
            let base = try ConfigLoader.load(text: fileText, source: file ?? "",
                                             settings: options.configOptions.settings())
            let axes = options.axes(for: base)
            let points = Grid.points(axes)
            let k = options.ranksPerPoint ?? comm.size
            guard k >= 1, k <= comm.size, comm.size % k == 0 else {
                throw RootError(message: "--ranks-per-point \(k) must divide the \(comm.size) rank(s) of this launch (e.g. \(Sweep.divisors(comm.size).map(String.init).joined(separator: ", ")))",
                                exitCode: ExitCodes.usage)
            }
            if options.index != nil && k != comm.size {
                throw RootError(message: "--index runs one point on all ranks; drop --ranks-per-point (or launch \(k) rank(s) per array task)",
                                exitCode: ExitCodes.usage)
            }
            // Every point's config must be valid before any runs.
            var configs: [TrainConfig] = []
            for p in points {
                var c = try ConfigLoader.load(text: fileText, source: file ?? "",
                                              settings: options.configOptions.settings() + p.settings)
                if c.mode == .compare { c.mode = .multiModal }
                c.name = p.name
                try c.validate(ranks: k)
                configs.append(c)
            }
            if let i = options.index, !(0..<points.count).contains(i) {
                throw RootError(message: "--index \(i) is outside the grid's \(points.count) points (0...\(points.count - 1)); see --list",
                                exitCode: ExitCodes.usage)
            }
            if options.list {
                if comm.isRoot { for (i, p) in points.enumerated() { print("\(i)\t\(p.name)\t\(p.overrides.joined(separator: " "))") } }
                return ExitCodes.success
            }
            // Every point must fit in memory before any runs (only the selected one with --index).
            try MPIRun.checkMemory(comm, options.index.map { [configs[$0]] } ?? configs)
            let dir = URL(fileURLWithPath: options.output ?? "runs/\(base.name)-sweep")
            try comm.onRoot(exitCode: ExitCodes.usage) {
                // Created with its marker; a folder infomax did not create is refused.
                try OutputFolder.prepare(dir, kind: .sweep, force: false)
                let sweep = SweepIndex(parameters: axes.map(\.key), points: points.map { p in
                    SweepIndex.Point(name: p.name, values: Dictionary(p.assignments.map { ($0.key, JSONValue(gridText: $0.value)) },
                                                                       uniquingKeysWith: { first, _ in first }))
                })
                try AtomicFile.write(sweep.text, to: dir.appendingPathComponent(SweepIndex.file))
                try AtomicFile.write(Data(try ConfigLoader.json(base).utf8), to: dir.appendingPathComponent("base-config.json"))
            }
            if let i = options.index {
                // One point on every rank (a Slurm array task): its error is the launch's error.
                if comm.isRoot { print("[sweep] point \(i + 1)/\(points.count): \(points[i].name)") }
                let session = RunSession(config: configs[i], comm: comm,
                                         output: dir.appendingPathComponent("points").appendingPathComponent(points[i].name),
                                         resume: true, force: false, progress: options.progress, finalReport: false)
                let code = try session.run()
                if code != ExitCodes.success { return code }
            } else {
                // Every point, on groups of k ranks (one group of all ranks by default).
                let code = try GroupedSweep(world: comm, ranksPerGroup: k, points: points, configs: configs, dir: dir,
                                            progress: options.progress).run()
                if code == ExitCodes.checkpointed { return code }
                if comm.isRoot { try Sweep.finish(dir: dir, points: points, axes: axes) }
                return code
            }
            if comm.isRoot { try Sweep.finish(dir: dir, points: points, axes: axes) }
            return ExitCodes.success
        }
    }

    /// The divisors of `n` (the rank counts per point a launch of n ranks accepts).
    static func divisors(_ n: Int) -> [Int] { (1...max(n, 1)).filter { n % $0 == 0 } }

    /// Writes sweep.csv and the report once every point has ended (completed or failed; a
    /// failed point's row carries its status and error, and it has no figures).
    static func finish(dir: URL, points: [GridPoint], axes: [GridAxis]) throws {
        let folders = points.map { dir.appendingPathComponent("points").appendingPathComponent($0.name) }
        let summaries = folders.map(RunSession.readSummary)
        let statuses = folders.map(RunSession.readStatus)
        let done = statuses.filter { $0?.status == .completed }.count
        let failed = statuses.filter { $0?.status == .failed }.count
        guard done + failed == points.count else {
            print("[sweep] \(done)/\(points.count) points finished; the report is written when all are")
            return
        }
        // Built in memory and written atomically: array tasks finishing together may both get here.
        var lines = [(["point"] + axes.map(\.key) + SweepIndex.csvFigures + ["status", "error"]).map(CSVField.quoted).joined(separator: ",")]
        for (i, p) in points.enumerated() {
            let values = SweepIndex.csvFigureValues(summaries[i])
            let keys: [CSVField] = p.assignments.map { a in Double(a.value).map(CSVField.number) ?? .text(a.value.replacingOccurrences(of: "\"", with: "")) }
            let figures: [CSVField] = values.map { $0.map(CSVField.number) ?? .empty }
            let status: CSVField = .text(statuses[i]?.status.rawValue ?? "")
            let error: CSVField = statuses[i]?.error.map { CSVField.text($0) } ?? .empty
            let cells: [CSVField] = [.text(p.name)] + keys + figures + [status, error]
            lines.append(cells.map(\.rendered).joined(separator: ","))
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir.appendingPathComponent("sweep.csv"))
        guard failed == 0 else {
            print("[sweep] \(done) of \(points.count) points finished, \(failed) failed: \(dir.appendingPathComponent("sweep.csv").path) (no report until every point has finished)")
            return
        }
        let report = try writeReport(for: dir, to: nil)
        print("[sweep] all \(points.count) points finished: \(dir.appendingPathComponent("sweep.csv").path), \(report.path)")
    }
}
