// Training/Trainer.swift — the training loop every rank runs in lockstep: pick the step's
// global batch, let the problem compute the distributed loss and this rank's gradient,
// all-reduce its gradient (each encoder's part as soon as its backward is done, overlapped with
// the rest; the stop request rides along), apply the identical update; log, evaluate,
// checkpoint, and stop cleanly on a signal or a non-finite loss.
import Foundation
import Linalg
import MPI
import RunRecords
import Synthetic

/// A run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(step: Int, loss: Double, lastFinite: Double?, gradientNorm: Double)

    public var description: String {
        switch self {
        case let .nonFinite(step, loss, lastFinite, gradientNorm):
            return "the loss became \(loss) at step \(step)"
                + (lastFinite.map { " (last finite loss \(String(format: "%.6g", $0)), gradient norm \(String(format: "%.3g", gradientNorm)))" } ?? "")
                + ". The run diverged: lower optimizer.learning_rate, raise loss.temperature, or use loss.similarity = \"cosine\"."
        }
    }

    public var exitCode: Int32 { ExitCodes.numerical }
}

/// What changes from step to step: the parameters and the optimizer (the all-reduced gradient
/// stays in the trainer's gradient exchange, where the optimizer reads it). One value per
/// rank; identical on every rank after each update.
public struct TrainingState: Sendable {
    /// Every encoder's weights, flat, in the problem's order.
    public var parameters: [Float]
    /// The optimizer and its moments.
    public var optimizer: Optimizer
    /// The next step to run (= steps completed).
    public var step: Int
}

/// Runs one (model, modality) training on every rank.
public final class Trainer {
    public let config: TrainConfig
    public let mode: ModalityMode
    public let problem: ContrastiveProblem
    public let comm: Communicator
    /// Rows go here (rank 0 only; nil elsewhere).
    public var metricsSink: MetricsSink?
    /// Progress goes here (rank 0 only).
    public var progress: ProgressSink?
    /// Where checkpoints are written (rank 0 writes); nil disables checkpoints.
    public var checkpointURL: URL?
    /// Testing aid: act as if a stop signal arrived just before this step.
    public var simulatedStopStep: Int?
    /// Writes summary.json (rank 0) when the watchdog thread checkpoints off the training loop
    /// (a signal mid-step, a stall, a dead launcher). Called from that thread.
    public var summaryWriter: (@Sendable (RunSummary) -> Void)?
    /// Progress marks for the stall watchdog.
    private let heartbeat = Watchdog.shared.heartbeat
    /// Test-only fault: (rank, step) at which this rank stops making progress, from the
    /// environment variable INFOMAX_TEST_STALL="rank:step" (read in `run` only).
    private var testStall: (rank: Int, step: Int)?

    // Reused across steps so that a step allocates nothing after warm-up.
    private var indexBuffer: [Int] = []
    /// The gradient all-reduce: nonblocking rings per encoder (Open MPI's MPI_Allreduce and
    /// MPI_Iallreduce malloc per call), carrying the stop request.
    private let gradientExchange: GradientExchange

    public init(config: TrainConfig, mode: ModalityMode, problem: ContrastiveProblem, comm: Communicator) {
        precondition(mode != .compare, "a Trainer trains one modality")
        self.config = config
        self.mode = mode
        self.problem = problem
        self.comm = comm
        gradientExchange = GradientExchange(communicator: comm, parameterCount: problem.parameterCount)
    }

    /// The global sample indices of step `step`'s batch that this rank owns. Full batch: the
    /// rank's contiguous shard of 0..<n. Mini-batch: the step's window of a stream of per-epoch
    /// keyed permutations of 0..<n (Synthetic's `EpochSchedule`: a Feistel bijection computed
    /// per index, no table), split contiguously over ranks. Either way the global batch, and so
    /// the trajectory, does not depend on the rank count; memory and work are O(local batch).
    public func localIndices(step: Int) throws -> [Int] {
        var out: [Int] = []
        try localIndices(step: step, into: &out)
        return out
    }

    /// `localIndices(step:)` into a reused array (no allocation once its capacity suffices).
    public func localIndices(step: Int, into out: inout [Int]) throws {
        let schedule = try EpochSchedule(count: config.trainSamples, batchSize: config.batchSize, seed: config.seed)
        _ = try Shard(count: schedule.batchSize, rank: comm.rank, size: comm.size)   // every rank needs a sample
        schedule.localIndices(step: step, rank: comm.rank, size: comm.size, into: &out)
    }

    /// The state before step 0: the problem's initial parameters, a fresh optimizer.
    public func initialState() -> TrainingState {
        var params = [Float](repeating: 0, count: problem.parameterCount)
        problem.copyParameters(into: &params)
        let optimizer = Optimizer(config: config.optimizer, parameterCount: params.count, totalSteps: config.steps)
        return TrainingState(parameters: params, optimizer: optimizer, step: 0)
    }

    /// The first half of step `state.step`: the global loss and this rank's gradient, each
    /// encoder's part all-reduced as soon as it is complete (read by ``applyUpdate(_:timing:)``).
    /// Collective. `requestStop`: this rank asks the run to stop after this step (a received
    /// signal asks too); ``stopRequested`` then tells whether any rank did. Returns the global
    /// loss; throws `TrainingError.nonFinite` (on every rank alike) if it is not finite.
    public func computeGradient(_ state: inout TrainingState, timing: inout StepTiming, requestStop: Bool = false) throws -> Double {
        try localIndices(step: state.step, into: &indexBuffer)
        heartbeat.enter(.lossExchange, step: state.step)
        gradientExchange.begin()
        gradientExchange.requestStop = requestStop
        let loss = try problem.lossAndGradient(localIndices: indexBuffer, draw: UInt64(state.step),
                                               gradient: gradientExchange, timing: &timing)
        if let stall = testStall, stall.rank == comm.rank, stall.step == state.step {
            // The watchdog test's fault: this rank stops here; the others wait in the all-reduce.
            heartbeat.enter(.computing, step: state.step)
            fputs("infomax: test fault: rank \(comm.rank) stops making progress at step \(state.step)\n", stderr)
            while true { sleep(60) }
        }
        heartbeat.enter(.gradientAllreduce, step: state.step)
        let t0 = comm.wtime()
        try gradientExchange.finish()
        timing.seconds.allreduce += comm.wtime() - t0
        heartbeat.enter(.computing, step: state.step)
        guard loss.isFinite else {
            throw TrainingError.nonFinite(step: state.step, loss: loss, lastFinite: nil,
                                          gradientNorm: gradientExchange.sumNorm)
        }
        // Ring all-reduce volume: each rank sends 2·(p − 1)/p of the buffer.
        timing.bytesSent += 2 * (comm.size - 1) * gradientExchange.parameterCount * MemoryLayout<Float>.stride / comm.size
        return loss
    }

    /// Whether any rank asked to stop in the last ``computeGradient(_:timing:requestStop:)``.
    public var stopRequested: Bool { gradientExchange.stopRequested }

    /// The second half of a step: the optimizer update with the all-reduced gradient, copied
    /// into the encoders; advances `state.step`. Identical on every rank.
    public func applyUpdate(_ state: inout TrainingState, timing: inout StepTiming) {
        let t0 = comm.wtime()
        gradientExchange.withSum { state.optimizer.apply(gradient: $0, to: &state.parameters) }
        problem.setParameters(state.parameters)
        state.step += 1
        timing.seconds.optimizer += comm.wtime() - t0
    }

    /// Trains from step 0, or from `checkpoint`, to `config.steps`.
    public func run(resumingFrom checkpoint: Checkpoint? = nil) throws -> RunSummary {
        let total = config.steps
        let fingerprint = try config.fingerprint(mode: mode)
        let trajectory = try config.trajectoryJSON()
        var state = initialState()
        var elapsedBefore = 0.0
        if let checkpoint {
            guard checkpoint.configFingerprint == fingerprint else {
                let diff = TrainConfig.differences(checkpoint.trajectoryConfig, trajectory)
                throw CheckpointError.otherConfig(path: checkpointURL?.path ?? "checkpoint",
                                                  detail: diff.isEmpty ? "another modality" : diff.prefix(4).joined(separator: "; "))
            }
            guard checkpoint.parameters.count == state.parameters.count else {
                throw CheckpointError.incompatible("\(checkpoint.parameters.count) parameters saved, this run has \(state.parameters.count)")
            }
            state.parameters = checkpoint.parameters
            problem.setParameters(state.parameters)
            try state.optimizer.restore(checkpoint.optimizer)
            state.step = checkpoint.step
            elapsedBefore = checkpoint.elapsedSeconds
            progress?.message("resumed from step \(state.step) of \(total)")
        }
        let startStep = state.step

        let start = comm.wtime()
        var computeSeconds = 0.0, commSeconds = 0.0, logSeconds = 0.0
        var lastLoss: Double? = nil
        var lastRow = MetricsRow()
        var status = RunStatus.completed
        var stopReason: String? = nil

        func elapsed() -> Double { elapsedBefore + comm.wtime() - start }

        // Rank 0 keeps the last completed step for the watchdog thread's immediate checkpoints.
        let keeper: CheckpointKeeper?
        if comm.isRoot, let url = checkpointURL {
            let (config, mode, ranks, writer) = (config, mode, comm.size, summaryWriter)
            let resumedFrom = checkpoint?.step
            var emergencySummary: ((RunStatus, String, CheckpointKeeper.Snapshot) -> Void)? = nil
            if let write = writer {
                emergencySummary = { (status: RunStatus, reason: String, s: CheckpointKeeper.Snapshot) in
                    let ran = Double(max(s.step - startStep, 1))
                    write(RunSummary(
                        name: config.name, model: config.model, mode: mode, loss: config.loss.kind.rawValue,
                        seed: config.seed, status: status, stepsCompleted: s.step, stepsPlanned: total, ranks: ranks,
                        finalLoss: s.loss, trainAccuracy: nil, testAccuracy: nil, signalLearning: nil, noiseMemorization: nil,
                        conditionNumber: nil, subspaceAlignment: nil, wallSeconds: s.elapsed,
                        secondsPerStep: (s.elapsed - elapsedBefore) / ran, computeSeconds: s.computeSeconds,
                        communicationSeconds: s.communicationSeconds, resumedFromStep: resumedFrom,
                        stopReason: "\(reason); checkpoint of step \(s.step), the last completed step"))
                }
            }
            keeper = CheckpointKeeper(url: url, fingerprint: fingerprint, trajectory: trajectory, minutes: config.checkpointMinutes,
                                      state: state, elapsed: elapsedBefore, writeSummary: emergencySummary)
        } else {
            keeper = nil
        }
        testStall = ProcessInfo.processInfo.environment["INFOMAX_TEST_STALL"].flatMap { text in
            let parts = text.split(separator: ":").compactMap { Int($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        let watchdog = Watchdog.shared
        // Before a step time is known, the default limit is generous (the first step warms up).
        watchdog.setLimit(seconds: config.stallTimeoutSeconds > 0 ? config.stallTimeoutSeconds : 300)
        watchdog.attach(Watchdog.Run(rank: comm.rank, host: MPIEnvironment.processorName, exchange: config.loss.exchange, keeper: keeper))
        var stepTimes = StepTimeMedian()
        var finished = false
        defer {
            watchdog.detach()
            keeper?.close(removeFile: finished)
        }

        func makeRow(step: Int, loss: Double, evaluate: Bool) throws -> MetricsRow {
            var row = MetricsRow()
            row[.step] = Double(step)
            row[.epoch] = Double(step) * Double(config.batchSize == 0 ? config.trainSamples : config.batchSize) / Double(config.trainSamples)
            row[.wallSeconds] = elapsed()
            row[.computeSeconds] = computeSeconds
            row[.communicationSeconds] = commSeconds
            row[.loss] = loss
            row[.learningRate] = Double(state.optimizer.currentLearningRate)
            row[.gradientNorm] = gradientExchange.sumNorm
            try problem.diagnostics(into: &row)
            if evaluate, let acc = try problem.downstreamAccuracy() {
                row[.trainAccuracy] = acc.train
                row[.testAccuracy] = acc.test
            }
            return row
        }

        func saveCheckpoint() throws {
            guard checkpointURL != nil else { return }
            try keeper?.write(state, elapsed: elapsed())
            heartbeat.enter(.checkpointBarrier, step: state.step)
            try comm.barrier()
            heartbeat.enter(.computing, step: state.step)
        }

        /// Loss and all-reduced gradient of the current step; a non-finite loss names the last finite one.
        func gradientStep(_ timing: inout StepTiming) throws -> Double {
            do {
                return try computeGradient(&state, timing: &timing, requestStop: state.step + 1 == simulatedStopStep)
            } catch let TrainingError.nonFinite(step, loss, _, norm) {
                throw TrainingError.nonFinite(step: step, loss: loss, lastFinite: lastLoss, gradientNorm: norm)
            }
        }

        while state.step < total {
            let stepStart = comm.wtime()
            // The stop agreement: its own all-reduce before the first step; after that it rode
            // in the last step's gradient all-reduce (a signal is read there when the last
            // encoder's part starts; one that arrives later is seen a step later).
            let stop: Bool
            if state.step == startStep {
                heartbeat.enter(.stopAgreement, step: state.step)
                stop = try comm.anyTrue(StopSignal.received != 0 || state.step == simulatedStopStep)
            } else {
                stop = stopRequested
            }
            if stop {
                heartbeat.enter(.computing, step: state.step)
                try saveCheckpoint()
                let cause = StopSignal.received != 0 ? StopSignal.name(StopSignal.received) : "a simulated signal"
                progress?.message("stopped by \(cause) at step \(state.step); checkpoint written, resume with --resume")
                status = .checkpointed
                stopReason = "stopped by \(cause); checkpoint of step \(state.step) written at the step's end"
                break
            }
            var timing = StepTiming()
            let step = state.step
            let loss = try gradientStep(&timing)
            var loggingSeconds = 0.0
            if step % config.logEvery == 0 {
                // Logged before the update: loss and diagnostics of the same parameters θ_step.
                let t0 = comm.wtime()
                let evaluate = config.evalEvery > 0 && step % config.evalEvery == 0
                heartbeat.enter(.logging, step: step)
                lastRow = try makeRow(step: step, loss: loss, evaluate: evaluate)
                heartbeat.enter(.computing, step: step)
                try metricsSink?.record(lastRow)
                loggingSeconds = comm.wtime() - t0
            }
            applyUpdate(&state, timing: &timing)
            // Diagnostics and evaluation time count as compute.
            let communication = timing.seconds.lossCommunication + timing.seconds.allreduce
            commSeconds += communication
            computeSeconds += timing.totalSeconds - communication + loggingSeconds
            logSeconds += loggingSeconds
            lastLoss = loss
            keeper?.publish(state, elapsed: elapsed(), loss: loss, computeSeconds: computeSeconds, communicationSeconds: commSeconds)
            stepTimes.record(comm.wtime() - stepStart)
            if let median = stepTimes.median() {
                if config.stallTimeoutSeconds == 0 { watchdog.setLimit(seconds: max(60, 20 * median)) }
                watchdog.setComputeAllowance(seconds: 20 * median)
            }
            progress?.update(step: state.step, of: total, loss: loss, elapsed: elapsed())
            if config.checkpointEvery > 0, state.step % config.checkpointEvery == 0, state.step < total {
                try saveCheckpoint()
            }
        }
        let stepsDone = state.step

        if status == .completed {
            // The final state: loss, diagnostics and downstream accuracy of the trained encoders.
            var timing = StepTiming()
            let loss = try gradientStep(&timing)
            heartbeat.enter(.logging, step: total)
            lastRow = try makeRow(step: total, loss: loss, evaluate: true)
            heartbeat.enter(.computing, step: total)
            try metricsSink?.record(lastRow)
            lastLoss = loss
            finished = true   // the deferred close deletes the checkpoint
        }
        progress?.finish()
        let wall = elapsed()
        let ran = max(stepsDone - startStep, 1)
        return RunSummary(
            name: config.name, model: config.model, mode: mode, loss: config.loss.kind.rawValue,
            seed: config.seed, status: status, stepsCompleted: stepsDone, stepsPlanned: total, ranks: comm.size,
            finalLoss: lastLoss, trainAccuracy: lastRow[.trainAccuracy], testAccuracy: lastRow[.testAccuracy],
            signalLearning: lastRow[.signalLearning], noiseMemorization: lastRow[.noiseMemorization],
            noiseMemorizationSe: lastRow[.noiseMemorizationSE], diagnosticsSamples: lastRow[.diagnosticsSamples].map { Int($0) },
            conditionNumber: lastRow[.conditionNumber], subspaceAlignment: lastRow[.subspaceAlignment],
            wallSeconds: wall, secondsPerStep: (comm.wtime() - start) / Double(ran),
            computeSeconds: computeSeconds, communicationSeconds: commSeconds, loggingSeconds: logSeconds,
            resumedFromStep: checkpoint?.step, stopReason: stopReason)
    }
}
