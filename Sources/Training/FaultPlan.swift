// Training/FaultPlan.swift — the one way tests inject faults into a training run: a value
// passed to the `Trainer`, read from the environment variable INFOMAX_FAULTS in one place
// (`FaultPlan.fromEnvironment`, called by the CLI's run session), empty in a normal run.
//
//   INFOMAX_FAULTS = FAULT[,FAULT…]     e.g. INFOMAX_FAULTS=stop=20   or   stall=1:12,slow=2:30
//     stop=STEP           act as if a stop signal arrived just before step STEP: the ranks agree,
//                         checkpoint step STEP and exit 75 (summary.json `checkpointed`)
//     stall=RANK:STEP     rank RANK stops making progress in step STEP, before the gradient
//                         all-reduce, and never resumes (the other ranks wait there: the stall
//                         watchdog's fault)
//     slow=STEP:SECONDS   every rank spends SECONDS more in step STEP, before the gradient
//                         all-reduce, whatever signals arrive meanwhile (a step as long as a
//                         test needs, however fast the code); STEP `*`: in every step
//
// Faults change when things happen, never a value: a run's metrics are those of a run without.
import Foundation

/// Faults for tests to inject into a training run (see the file header). `FaultPlan()` is none.
public struct FaultPlan: Equatable, Sendable {
    /// Where a rank stops making progress.
    public struct Stall: Equatable, Sendable {
        public var rank: Int
        public var step: Int
    }

    /// A delay added to a step (`step` nil: to every step).
    public struct Delay: Equatable, Sendable {
        public var step: Int?
        public var seconds: Double
    }

    /// The environment variable the CLI reads the plan from.
    public static let environmentVariable = "INFOMAX_FAULTS"

    /// Act as if a stop signal arrived just before this step.
    public var stopAtStep: Int?
    /// The rank that stops making progress, and where.
    public var stall: Stall?
    /// Extra seconds spent in a step.
    public var delay: Delay?

    public init(stopAtStep: Int? = nil, stall: Stall? = nil, delay: Delay? = nil) {
        self.stopAtStep = stopAtStep
        self.stall = stall
        self.delay = delay
    }

    /// Whether the plan injects nothing.
    public var isEmpty: Bool { self == FaultPlan() }

    /// Parses the INFOMAX_FAULTS syntax (see the file header); "" is no fault.
    public init(parsing text: String) throws {
        self.init()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, value) = (parts[0], parts.count == 2 ? parts[1] : "")
            let fields = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            switch (name, fields.count) {
            case ("stop", 1):
                stopAtStep = try Self.step(fields[0], item)
            case ("stall", 2):
                guard let rank = Int(fields[0]), rank >= 0 else { throw Self.invalid(item) }
                stall = Stall(rank: rank, step: try Self.step(fields[1], item))
            case ("slow", 2):
                guard let seconds = Double(fields[1]), seconds >= 0, seconds.isFinite else { throw Self.invalid(item) }
                delay = Delay(step: fields[0] == "*" ? nil : try Self.step(fields[0], item), seconds: seconds)
            default:
                throw Self.invalid(item)
            }
        }
    }

    /// The plan in `environment` (the process's by default); none when the variable is unset.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> FaultPlan {
        try FaultPlan(parsing: environment[environmentVariable] ?? "")
    }

    private static func step(_ text: String, _ item: String) throws -> Int {
        guard let step = Int(text), step >= 0 else { throw invalid(item) }
        return step
    }

    private static func invalid(_ item: String) -> RootError {
        RootError(message: "\(environmentVariable): cannot read '\(item)'; expected stop=STEP, stall=RANK:STEP or "
                  + "slow=STEP:SECONDS (STEP * for every step), separated by commas", exitCode: ExitCodes.usage)
    }

    /// Whether the run should act as if a stop signal arrived just before `step`.
    func stops(before step: Int) -> Bool { stopAtStep == step }

    /// Whether `inject(rank:step:)` does anything at step `step` on rank `rank`.
    func injects(rank: Int, step: Int) -> Bool {
        if let delay, delay.seconds > 0, delay.step == nil || delay.step == step { return true }
        return stall == Stall(rank: rank, step: step)
    }

    /// The faults of step `step` on rank `rank`, injected before the gradient all-reduce (the
    /// heartbeat says `computing`, so the stall watchdog watches the other ranks' wait): a delay
    /// sleeps, a stall never returns.
    func inject(rank: Int, step: Int) {
        if let delay, delay.seconds > 0, delay.step == nil || delay.step == step {
            if delay.step != nil {
                try? FileHandle.standardError.write(contentsOf: Data(("infomax: test fault: rank \(rank) spends \(delay.seconds) s more in step \(step)\n").utf8))
            }
            Self.sleep(seconds: delay.seconds)
        }
        if let stall, stall.rank == rank, stall.step == step {
            try? FileHandle.standardError.write(contentsOf: Data(("infomax: test fault: rank \(rank) stops making progress at step \(step)\n").utf8))
            while true { Self.sleep(seconds: 3600) }
        }
    }

    /// Sleeps `seconds` of CLOCK_MONOTONIC, however many signals interrupt it.
    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
