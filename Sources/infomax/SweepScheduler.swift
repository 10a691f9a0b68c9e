// SweepScheduler — runs a sweep's points on groups of ranks: the world communicator is split
// into groups of k ranks (MPI_Comm_split) and each group trains one point at a time; points are
// handed out dynamically by world rank 0 as groups free up, and a failing point is recorded
// while the others go on.
//
// Design (MPI is FUNNELED: only the main thread calls MPI). World rank 0 is both the dispatcher
// and the leader of group 0, which trains like every other group. The other group leaders ask
// for work with a blocking send + receive to world rank 0; rank 0 keeps one receive posted per
// leader and tests them (MPI_Test) between the training steps of its own group (a hook on its
// progress sink, called after every step) and between points; once the queue is empty it only
// answers until every group has been told to stop. A leader therefore waits at most one of group
// 0's steps for its next point. Nothing else crosses groups, so there is no cycle to deadlock on.
// Within a group the leader broadcasts the point index (MPI_Bcast on the group communicator) and
// the group's rank 0 writes that point's folder, as a run on k ranks alone would.
import Foundation
import MPI
import Report
import Training

/// A progress sink that forwards to another and calls `poll` after every step.
final class PollingProgress: ProgressSink {
    let inner: ProgressSink?
    let poll: () -> Void
    init(inner: ProgressSink?, poll: @escaping () -> Void) { self.inner = inner; self.poll = poll }
    func update(step: Int, of total: Int, loss: Double, elapsed: Double) {
        inner?.update(step: step, of: total, loss: loss, elapsed: elapsed)
        poll()
    }
    func message(_ text: String) { inner?.message(text) }
    func finish() { inner?.finish() }
}

/// How a group's point ended: its index, exit status (0 done, 75 checkpointed, other = failed)
/// and wall seconds. Travels as three Int64 (index, code, milliseconds).
struct PointOutcome {
    let index: Int
    let code: Int32
    let seconds: Double

    var wire: [Int64] { [Int64(index), Int64(code), Int64((seconds * 1000).rounded())] }
    init(index: Int, code: Int32, seconds: Double) { self.index = index; self.code = code; self.seconds = seconds }
    /// nil for the "no point yet" message (index −1).
    init?(wire: [Int64]) {
        guard wire.count == 3, wire[0] >= 0 else { return nil }
        self.init(index: Int(wire[0]), code: Int32(truncatingIfNeeded: wire[1]), seconds: Double(wire[2]) / 1000)
    }
}

/// The dispatcher on world rank 0: the queue of points, the groups' requests, the progress view.
final class SweepDispatcher {
    static let requestTag = 17_001
    static let replyTag = 17_002

    let world: Communicator
    let groups: Int
    let ranksPerGroup: Int
    let names: [String]
    let totalPoints: Int
    private var queue: [Int]
    private var running: [Int: (point: Int, start: Double)] = [:]
    private(set) var outcomes: [PointOutcome] = []
    private var alreadyDone: Int
    private var stopping = false
    /// Posted receives from the other groups' leaders (nil once that group was told to stop).
    private var posted: [Int: (buffer: MPIBuffer<Int64>, request: Request)] = [:]
    private let start: Double
    /// The first error met while answering from inside a training step (rethrown later).
    private(set) var pollError: Error?
    /// The error text a failed point left in its folder (printed with the failure).
    var errorOf: (Int) -> String? = { _ in nil }

    /// - Parameters:
    ///   - pending: the point indices to run, in order (finished points already left out).
    ///   - alreadyDone: points completed before this launch (for the progress view).
    init(world: Communicator, groups: Int, ranksPerGroup: Int, names: [String], pending: [Int], alreadyDone: Int) throws {
        self.world = world
        self.groups = groups
        self.ranksPerGroup = ranksPerGroup
        self.names = names
        self.totalPoints = names.count
        self.queue = pending
        self.alreadyDone = alreadyDone
        self.start = world.wtime()
        for g in 1..<max(groups, 1) { try post(group: g) }
    }

    private func post(group g: Int) throws {
        let buffer = MPIBuffer<Int64>(repeating: -1, count: 3)
        let request = try world.irecv(into: buffer, from: g * ranksPerGroup, tag: SweepDispatcher.requestTag)
        posted[g] = (buffer, request)
    }

    var failed: [PointOutcome] { outcomes.filter { $0.code != ExitCodes.success && $0.code != ExitCodes.checkpointed } }
    var checkpointed: Bool { outcomes.contains { $0.code == ExitCodes.checkpointed } }

    /// Records `finished` (if any) of `group` and returns its next point, or −1 to stop.
    func next(for group: Int, finished: PointOutcome?) -> Int {
        let now = world.wtime()
        if let finished {
            running[group] = nil
            outcomes.append(finished)
            if finished.code == ExitCodes.checkpointed { stopping = true }
            report(finished, group: group)
        }
        if StopSignal.received != 0 { stopping = true }
        guard !stopping, !queue.isEmpty else { return -1 }
        let p = queue.removeFirst()
        running[group] = (p, now)
        print("[sweep] point \(p + 1)/\(totalPoints): \(names[p])")
        let ranks = ranksPerGroup == 1 ? "world rank \(group)" : "world ranks \(group * ranksPerGroup)–\(group * ranksPerGroup + ranksPerGroup - 1)"
        if groups > 1 { print("[sweep]   on group \(group) (\(ranks)) | \(counts())") }
        fflush(nil)
        return p
    }

    private func counts() -> String {
        let done = alreadyDone + outcomes.count
        let f = failed.count
        return "done \(done)\(f > 0 ? " (\(f) failed)" : ""), running \(running.count), left \(queue.count)"
    }

    private func report(_ o: PointOutcome, group: Int) {
        let what: String
        switch o.code {
        case ExitCodes.success: what = "finished"
        case ExitCodes.checkpointed: what = "checkpointed (stop signal)"
        default: what = "FAILED (exit \(o.code)\(errorOf(o.index).map { ": \($0)" } ?? ""))"
        }
        // ETA: the mean time of this launch's points, spread over the groups.
        let times = outcomes.filter { $0.code == ExitCodes.success }.map(\.seconds)
        var eta = ""
        if !times.isEmpty {
            let mean = times.reduce(0, +) / Double(times.count)
            let now = world.wtime()
            let runningLeft = running.values.map { max(mean - (now - $0.start), 0) }.reduce(0, +)
            let seconds = (Double(queue.count) * mean + runningLeft) / Double(max(groups, 1))
            eta = " | elapsed \(Self.clock(now - start)), ETA \(Self.clock(seconds))"
        }
        print("[sweep] \(what): \(names[o.index]) in \(String(format: "%.1f", o.seconds)) s\(groups > 1 ? " (group \(group))" : "") | \(counts())\(eta)")
        fflush(nil)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// Answers every group whose request has arrived (never blocks).
    func poll() throws {
        for g in posted.keys.sorted() {
            guard let (buffer, request) = posted[g], try request.test() else { continue }
            let next = self.next(for: g, finished: PointOutcome(wire: buffer.array))
            try world.send([Int64(next)], to: g * ranksPerGroup, tag: SweepDispatcher.replyTag)
            if next < 0 { posted[g] = nil } else { try post(group: g) }
        }
    }

    /// `poll()` for the progress hook: an error is kept and rethrown by `drain()`.
    func pollFromStep() {
        guard pollError == nil else { return }
        do { try poll() } catch { pollError = error }
    }

    /// After group 0's last point: answers until every other group has been told to stop.
    func drain() throws {
        if let pollError { throw pollError }
        while !posted.isEmpty {
            try poll()
            if !posted.isEmpty { usleep(2_000) }
        }
    }
}

/// What every rank of a grouped sweep runs: the group loop. Returns the sweep's exit status
/// (the same on every rank).
struct GroupedSweep {
    let world: Communicator
    let ranksPerGroup: Int
    let points: [GridPoint]
    let configs: [TrainConfig]
    let dir: URL
    let progress: ProgressStyle

    var groups: Int { world.size / ranksPerGroup }

    func folder(_ i: Int) -> URL { dir.appendingPathComponent("points").appendingPathComponent(points[i].name) }

    /// Runs the points (all of them, finished ones skipped) and returns the exit status.
    func run() throws -> Int32 {
        let groupIndex = world.rank / ranksPerGroup
        guard let group = try world.split(color: groupIndex, key: world.rank) else {
            throw MPIError.invalidArgument("MPI_Comm_split gave this rank no group")
        }
        // Rank 0 leaves the points finished before this launch out of the queue.
        var dispatcher: SweepDispatcher? = nil
        if world.isRoot {
            let finished = points.indices.filter { RunSession.readSummary(folder($0))?.status == .completed }
            let pending = points.indices.filter { !finished.contains($0) }
            if !finished.isEmpty { print("[sweep] \(finished.count)/\(points.count) points already finished, skipped") }
            if groups > 1 { print("[sweep] \(groups) groups of \(ranksPerGroup) rank(s), \(pending.count) point(s) to run") }
            dispatcher = try SweepDispatcher(world: world, groups: groups, ranksPerGroup: ranksPerGroup,
                                             names: points.map(\.name), pending: pending, alreadyDone: finished.count)
            dispatcher?.errorOf = { RunSession.readStatus(self.folder($0))?.error }
        }
        // Installed before any point, so a signal between points also ends in a checkpoint.
        StopSignal.install()
        var finished: PointOutcome? = nil
        while true {
            var next: [Int64] = [-1]
            if let dispatcher {
                next[0] = Int64(dispatcher.next(for: 0, finished: finished))
            } else if group.isRoot {
                // A failed exchange with the dispatcher is seen by this rank alone: abort, never hang.
                do {
                    try world.send(finished?.wire ?? [-1, 0, 0], to: 0, tag: SweepDispatcher.requestTag)
                    next = try world.recv(count: 1, from: 0, tag: SweepDispatcher.replyTag)
                } catch {
                    world.abort(code: ExitCodes.failure, message: "sweep: asking rank 0 for the next point failed: \(error)")
                }
            }
            try group.bcast(&next, root: 0)
            guard next[0] >= 0 else { break }
            let i = Int(next[0])
            let t0 = world.wtime()
            let code = runPoint(i, group: group, groupIndex: groupIndex, dispatcher: dispatcher)
            finished = PointOutcome(index: i, code: code, seconds: world.wtime() - t0)
        }
        var code: [Int32] = [ExitCodes.success]
        if let dispatcher {
            do { try dispatcher.drain() } catch {
                world.abort(code: ExitCodes.failure, message: "sweep: answering the groups failed: \(error)")
            }
            if dispatcher.checkpointed {
                code[0] = ExitCodes.checkpointed
            } else if let first = dispatcher.failed.first {
                let names = dispatcher.failed.map { points[$0.index].name }
                print("[sweep] \(names.count) of \(points.count) point(s) failed: \(names.joined(separator: ", ")) (errors in their summary.json and sweep.csv)")
                code[0] = first.code
            }
        }
        try world.bcast(&code, root: 0)
        return code[0]
    }

    /// Runs point `i` on `group`; an error ends only this point (recorded in its summary.json).
    func runPoint(_ i: Int, group: Communicator, groupIndex: Int, dispatcher: SweepDispatcher?) -> Int32 {
        var session = RunSession(config: configs[i], comm: group, output: folder(i), resume: true, force: false,
                                 progress: groups > 1 ? .none : progress, finalReport: false)
        if let dispatcher, groups > 1 { session.betweenSteps = { dispatcher.pollFromStep() } }
        do {
            return try session.run()
        } catch {
            // Errors inside a run are thrown on every rank of the group alike (collective checks).
            let code = ExitCodes.code(for: error)
            if group.isRoot {
                let summary = folder(i).appendingPathComponent(RunSummary.file)
                if RunSession.readStatus(folder(i))?.status != .failed {
                    try? FileManager.default.createDirectory(at: folder(i), withIntermediateDirectories: true)
                    try? RecordCoding.write(FailedRun(mode: configs[i].mode, error: "\(error)"), to: summary)
                }
            }
            return code == ExitCodes.success ? ExitCodes.failure : code
        }
    }
}

extension RunSession {
    /// The status (and error, for a failed run) of a run folder's summary.json, whatever its form.
    static func readStatus(_ folder: URL) -> (status: RunStatus, error: String?)? {
        guard let file = (try? SummaryFile.read(folder: folder)) ?? nil else { return nil }
        return (file.status, file.error)
    }
}
