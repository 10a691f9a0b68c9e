// Training/Watchdog.swift — one helper thread per rank that never calls MPI (FUNNELED): it
// wakes on a stop signal or every 0.25 s and (1) has rank 0 write the last completed step's
// checkpoint at once on a signal, and on the `checkpoint_minutes` cadence; (2) ends the job
// when this rank has waited in one collective longer than the stall limit (a lost host),
// printing where it waits; (3) ends this rank when its launcher (mpirun, orted, slurmstepd)
// is gone, so no orphan keeps computing.
import Foundation
import InfoMax
import RunRecords
import Synchronization

/// The per-process watchdog thread (see the file comment). Started by `StopSignal.install()`;
/// a `Trainer` (given this one at `init`, `shared` by default) attaches its run for its duration.
public final class Watchdog: @unchecked Sendable {
    public static let shared = Watchdog()
    /// Updated by the training loop; read here.
    public let heartbeat = Heartbeat()
    /// The stall limit in milliseconds (0: not watching).
    let limitMillis = Atomic<Int>(0)
    /// The least limit of a phase that also computes: 20 × the median step (0: no step yet).
    let computeAllowanceMillis = Atomic<Int>(0)

    /// What the thread needs to know about the run in progress.
    struct Run {
        var rank: Int
        var host: String
        var exchange: CandidateExchange
        /// Rank 0's writer of checkpoints from the last completed step (nil on other ranks).
        var keeper: CheckpointKeeper?
        /// The config's stall_timeout_seconds (0: max(60 s, 20 × the median step)).
        var stallTimeoutSeconds: Double
    }

    private let lock = NSLock()
    private var run: Run?
    private var started = false
    private var parent: pid_t = 0
    private var watchParent = false
    /// Set once the wait at a stop signal was reported (watchdog thread only).
    private var reportedWaitAtSignal = false
    /// The attached run's step times (the training loop's thread only).
    private var stepTimes = StepTimeMedian()
    /// The attached run's stall_timeout_seconds (the training loop's thread only).
    private var fixedLimit = 0.0

    /// Starts the thread once. It watches the parent process when a launcher started this one.
    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard !started else { return }
        started = true
        let env = ProcessInfo.processInfo.environment
        parent = getppid()
        watchParent = parent > 1 && ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "SLURM_STEP_ID"].contains { env[$0] != nil }
        let t = Thread { [self] in loop() }
        t.name = "infomax-watchdog"
        t.start()
    }

    /// Watches `run` until `detach()`. Call from the main thread (it reads nothing from MPI later).
    /// Before a step time is known, the default limit is generous (the first step warms up).
    func attach(_ run: Run) {
        stepTimes = StepTimeMedian()
        fixedLimit = run.stallTimeoutSeconds
        setLimit(seconds: fixedLimit > 0 ? fixedLimit : 300)
        lock.lock(); self.run = run; lock.unlock()
    }

    /// A step of the attached run took `seconds` (training loop): the limits follow the median
    /// step, the stall limit only where the config sets none.
    func stepEnded(seconds: Double) {
        stepTimes.record(seconds)
        guard let median = stepTimes.median() else { return }
        if fixedLimit == 0 { setLimit(seconds: max(60, 20 * median)) }
        setComputeAllowance(seconds: 20 * median)
    }

    /// Stops watching the run (its phase is no longer a wait on other ranks).
    func detach() {
        limitMillis.store(0, ordering: .relaxed)
        computeAllowanceMillis.store(0, ordering: .relaxed)
        heartbeat.enter(.computing, step: heartbeat.step.load(ordering: .relaxed))
        lock.lock(); run = nil; lock.unlock()
    }

    /// Sets the stall limit.
    private func setLimit(seconds: Double) {
        limitMillis.store(max(1, Int(seconds * 1000)), ordering: .relaxed)
    }

    /// Sets the least limit of the phases that also compute (20 × the median step).
    private func setComputeAllowance(seconds: Double) {
        computeAllowanceMillis.store(max(1, Int(seconds * 1000)), ordering: .relaxed)
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private func current() -> Run? {
        lock.lock(); defer { lock.unlock() }
        return run
    }

    private func loop() {
        var lastBeats = -1
        var lastChange = Self.now()
        while true {
            let signalled = StopSignal.wait(seconds: 0.25)
            let run = current()
            if signalled, StopSignal.received != 0, let run {
                // A launcher that lost a host ends the job with SIGTERM: say where this rank waited.
                waitingAtSignal(run, since: lastChange)
            }
            if signalled, StopSignal.received != 0, let keeper = run?.keeper {
                let name = StopSignal.name(StopSignal.received)
                let woke = Self.now()
                if let step = keeper.emergency(status: .checkpointed, reason: "stopped by \(name)") {
                    let arrival = StopSignal.arrival
                    try? FileHandle.standardError.write(contentsOf: Data(("infomax: \(name): checkpoint of step \(step) (the last completed step) on disk "
                          + String(format: "%.2f s after the signal reached rank 0 (woken after %.2f s)", Self.now() - arrival, woke - arrival)
                          + "; resume with --resume\n").utf8))
                }
            }
            if signalled, StopSignal.takeContinue() {
                // Open MPI's kill sequence: SIGCONT now, SIGTERM 1 s later, SIGKILL 1 s after.
                run?.keeper?.writeLatestNow()
            }
            run?.keeper?.writePeriodicIfDue()
            if watchParent && getppid() != parent {
                orphaned(run)
            }
            let beats = heartbeat.beats.load(ordering: .acquiring)
            let t = Self.now()
            if beats != lastBeats { lastBeats = beats; lastChange = t; continue }
            var limit = limitMillis.load(ordering: .relaxed)
            let phase = RunPhase(rawValue: heartbeat.phase.load(ordering: .relaxed)) ?? .computing
            guard let run, limit > 0, phase != .computing else { continue }
            if phase.computesToo {
                let allowance = computeAllowanceMillis.load(ordering: .relaxed)
                guard allowance > 0 else { continue }
                limit = max(limit, allowance)
            }
            if (t - lastChange) * 1000 >= Double(limit) {
                stalled(run, waited: t - lastChange, limit: Double(limit) / 1000)
            }
        }
    }

    /// On a stop signal, a rank that has been in one communicating phase for a second or more
    /// prints it: the step and the collective (a lost host ends a job this way, mpirun naming
    /// the host, this line where the others waited). Once per process.
    private func waitingAtSignal(_ run: Run, since lastChange: Double) {
        guard !reportedWaitAtSignal else { return }
        reportedWaitAtSignal = true
        let phase = RunPhase(rawValue: heartbeat.phase.load(ordering: .relaxed)) ?? .computing
        let waited = Self.now() - lastChange
        guard phase != .computing, waited >= 1 else { return }
        try? FileHandle.standardError.write(contentsOf: Data(("infomax: \(StopSignal.name(StopSignal.received)): rank \(run.rank) on \(run.host) was at step "
              + "\(heartbeat.step.load(ordering: .relaxed)) in \(phase.label(exchange: run.exchange)) for "
              + String(format: "%.1f", waited) + " s when the signal came.\n").utf8))
    }

    /// Message, rank 0's checkpoint and summary, exit 74. The message's first line is stable
    /// (README, "Exit codes"): `infomax: stall: rank R on HOST made no progress for S s (limit
    /// L s) at step N, waiting in PHASE; ending the job (exit 74).`
    private func stalled(_ run: Run, waited: Double, limit: Double) -> Never {
        let phase = RunPhase(rawValue: heartbeat.phase.load(ordering: .relaxed)) ?? .computing
        let step = heartbeat.step.load(ordering: .relaxed)
        let line = "infomax: stall: rank \(run.rank) on \(run.host) made no progress for \(String(format: "%.1f", waited)) s"
            + " (limit \(String(format: "%g", limit)) s) at step \(step), waiting in \(phase.label(exchange: run.exchange));"
            + " ending the job (exit \(ExitCodes.stalled)).\n"
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
        if let keeper = run.keeper {
            let reason = "stall watchdog: rank 0 waited \(String(format: "%.1f", waited)) s at step \(step) in \(phase.label(exchange: run.exchange))"
            if let written = keeper.emergency(status: .stalled, reason: reason) {
                try? FileHandle.standardError.write(contentsOf: Data(("infomax: stall: the checkpoint of step \(written) (the last completed step) is valid: run again with --resume.\n").utf8))
            }
        }
        fflush(nil)
        _exit(ExitCodes.stalled)
    }

    /// The launcher died: rank 0 saves what it has; every rank exits at once.
    private func orphaned(_ run: Run?) -> Never {
        let rank = run.map { "rank \($0.rank)" } ?? "a rank"
        try? FileHandle.standardError.write(contentsOf: Data(("infomax: \(rank): the launcher (parent process \(parent)) is gone; exiting.\n").utf8))
        var code = ExitCodes.failure
        if let keeper = run?.keeper, keeper.emergency(status: .checkpointed, reason: "the launcher died") != nil {
            code = ExitCodes.checkpointed
        }
        fflush(nil)
        _exit(code)
    }
}
