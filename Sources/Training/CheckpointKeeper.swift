// Training/CheckpointKeeper.swift — rank 0's copy of the last completed step (parameters,
// optimizer state, step), refreshed after every update without allocating, and the one
// writer of the run's checkpoint file: the training loop's collective checkpoints, and the
// watchdog thread's immediate ones (a stop signal mid-step, a stall, a dead launcher, the
// `checkpoint_minutes` cadence), which need no other rank because parameters are replicated.
import Foundation
import RunRecords

/// Rank 0's last completed state and checkpoint writer. Thread-safe.
public final class CheckpointKeeper: @unchecked Sendable {
    /// The last completed step as the watchdog thread may save it.
    struct Snapshot {
        var parameters: [Float]
        var optimizer: OptimizerState
        var step: Int
        var elapsed: Double
        var loss: Double?
        /// The run's seconds by kind up to this step.
        var totals: RunRecorder.Totals
    }

    let url: URL
    let fingerprint: String
    let trajectory: String
    /// Seconds between time-based checkpoints (0: none).
    let interval: Double
    /// Builds and writes summary.json for a checkpoint written off the training loop.
    let writeSummary: ((_ status: RunStatus, _ reason: String, _ snapshot: Snapshot) -> Void)?

    private let stateLock = NSLock()
    private var snapshot: Snapshot
    private let writeLock = NSLock()
    private var lastWrittenStep = -1
    private var lastWriteTime: Double
    private var closed = false

    init(url: URL, fingerprint: String, trajectory: String, minutes: Double, state: TrainingState, elapsed: Double,
         writeSummary: ((_ status: RunStatus, _ reason: String, _ snapshot: Snapshot) -> Void)?) {
        self.url = url
        self.fingerprint = fingerprint
        self.trajectory = trajectory
        interval = minutes * 60
        self.writeSummary = writeSummary
        snapshot = Snapshot(parameters: state.parameters, optimizer: state.optimizer.state, step: state.step, elapsed: elapsed,
                            loss: nil, totals: RunRecorder.Totals())
        // Own buffers (not shared with the training state), so later copies allocate nothing.
        snapshot.parameters.withUnsafeMutableBufferPointer { _ in }
        snapshot.optimizer.first.withUnsafeMutableBufferPointer { _ in }
        snapshot.optimizer.second.withUnsafeMutableBufferPointer { _ in }
        lastWriteTime = Self.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Copies the state just completed (main thread, after each update). Allocates nothing
    /// unless the watchdog thread still holds the previous copy (right after it wrote it).
    func publish(_ state: TrainingState, elapsed: Double, loss: Double?, totals: RunRecorder.Totals) {
        stateLock.lock()
        defer { stateLock.unlock() }
        Self.copy(state.parameters, into: &snapshot.parameters)
        Self.copy(state.optimizer.state.first, into: &snapshot.optimizer.first)
        Self.copy(state.optimizer.state.second, into: &snapshot.optimizer.second)
        snapshot.optimizer.step = state.optimizer.state.step
        snapshot.step = state.step
        snapshot.elapsed = elapsed
        snapshot.loss = loss
        snapshot.totals = totals
    }

    private static func copy(_ source: [Float], into target: inout [Float]) {
        guard source.count == target.count else { target = source; return }
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                guard let sb = s.baseAddress, let tb = t.baseAddress else { return }
                tb.update(from: sb, count: s.count)
            }
        }
    }

    private func checkpoint(of s: Snapshot) -> Checkpoint {
        Checkpoint(configFingerprint: fingerprint, trajectoryConfig: trajectory, step: s.step, parameters: s.parameters,
                   optimizer: s.optimizer, rngDraw: UInt64(s.step), elapsedSeconds: s.elapsed)
    }

    private func latest() -> Snapshot {
        stateLock.lock(); defer { stateLock.unlock() }
        return snapshot   // copy-on-write: the arrays are shared until the next publish
    }

    /// The training loop's checkpoint of `state` (main thread).
    func write(_ state: TrainingState, elapsed: Double) throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        let c = Checkpoint(configFingerprint: fingerprint, trajectoryConfig: trajectory, step: state.step, parameters: state.parameters,
                           optimizer: state.optimizer.state, rngDraw: UInt64(state.step), elapsedSeconds: elapsed)
        try c.write(to: url)
        lastWrittenStep = state.step
        lastWriteTime = Self.now()
    }

    /// Makes sure the last completed step is on disk (writes it unless a checkpoint of that step
    /// is already there) and writes summary.json with `status`. Any thread. Returns the step
    /// the checkpoint on disk holds, nil if nothing could be written (or the run is over).
    @discardableResult
    func emergency(status: RunStatus, reason: String) -> Int? {
        writeLock.lock()
        defer { writeLock.unlock() }
        guard !closed else { return nil }
        let s = latest()
        if s.step > lastWrittenStep {
            do { try checkpoint(of: s).write(to: url) } catch {
                try? FileHandle.standardError.write(contentsOf: Data(("infomax: could not write the checkpoint \(url.path): \(error)\n").utf8))
                return nil
            }
            lastWrittenStep = s.step
            lastWriteTime = Self.now()
        }
        writeSummary?(status, reason, s)
        return lastWrittenStep
    }

    /// The `checkpoint_minutes` cadence (watchdog thread): writes the last completed step when
    /// `interval` seconds passed since the last checkpoint and the run advanced since.
    func writePeriodicIfDue() {
        guard interval > 0 else { return }
        writeLatest(what: "time-based checkpoint") { Self.now() - $0 >= interval }
    }

    /// Writes the last completed step now unless the file already holds it (watchdog thread,
    /// on SIGCONT: a launcher's kill sequence may follow). Leaves summary.json alone.
    func writeLatestNow() {
        writeLatest(what: "checkpoint") { _ in true }
    }

    /// Writes the last completed step when `due(lastWriteTime)` and the run advanced since.
    private func writeLatest(what: String, due: (Double) -> Bool) {
        writeLock.lock()
        defer { writeLock.unlock() }
        guard !closed, due(lastWriteTime) else { return }
        let s = latest()
        guard s.step > lastWrittenStep else { return }
        do { try checkpoint(of: s).write(to: url) } catch {
            try? FileHandle.standardError.write(contentsOf: Data(("infomax: could not write the \(what) \(url.path): \(error)\n").utf8))
            lastWriteTime = Self.now()   // retry after another interval, not every 0.25 s
            return
        }
        lastWrittenStep = s.step
        lastWriteTime = Self.now()
    }

    /// Ends the run's writing: waits for a write in flight; later calls write nothing.
    /// With `removeFile` (a completed run) deletes the checkpoint.
    func close(removeFile: Bool) {
        writeLock.lock()
        defer { writeLock.unlock() }
        closed = true
        if removeFile { try? FileManager.default.removeItem(at: url) }
    }
}
