// Training/Trainer.swift — the training loop every rank runs in lockstep: pick the step's
// global batch, let the problem compute the distributed loss and this rank's gradient,
// all-reduce its gradient (each encoder's part as soon as its backward is done, overlapped with
// the rest; the stop request rides along), apply the identical update; stop cleanly on a
// signal or a non-finite loss. Logging, evaluation and checkpoints: RunRecorder.
import Foundation
import Linalg
import MPI
import RunRecords
import Synthetic

/// Runs one (model, modality) training on every rank: the step loop. What it records (rows,
/// progress, checkpoints, the summary) is the `RunRecorder`'s job.
public final class Trainer {
    public let config: TrainConfig
    public let mode: ModalityMode
    public let problem: ContrastiveProblem
    public let comm: Communicator
    /// Where the run's records go (rank 0's writers; the checkpoint URL on every rank).
    public let outputs: RunOutputs
    /// Faults a test injects (none in a normal run).
    public let faults: FaultPlan
    /// The process's watchdog thread, which watches this trainer's progress while it runs.
    private let watchdog: Watchdog
    /// Progress marks for the stall watchdog.
    private let heartbeat: Heartbeat

    // Reused across steps so that a step allocates nothing after warm-up.
    private var indexBuffer: [Int] = []
    /// The gradient all-reduce (gradient.allreduce: the MPI library's or the project's ring),
    /// per encoder, carrying the stop request.
    private let gradientExchange: GradientExchange

    /// - Parameters:
    ///   - outputs: rank 0's writers; `checkpointURL` the same on every rank (all join the
    ///     checkpoint barrier), nil for none.
    ///   - faults: test faults (`FaultPlan`), none by default.
    ///   - watchdog: the watchdog thread that `StopSignal.install()` starts.
    public init(
        config: TrainConfig, mode: ModalityMode, problem: ContrastiveProblem, comm: Communicator,
        outputs: RunOutputs = RunOutputs(), faults: FaultPlan = FaultPlan(), watchdog: Watchdog = .shared
    ) {
        precondition(mode != .compare, "a Trainer trains one modality")
        self.config = config
        self.mode = mode
        self.problem = problem
        self.comm = comm
        self.outputs = outputs
        self.faults = faults
        self.watchdog = watchdog
        heartbeat = watchdog.heartbeat
        gradientExchange = GradientExchange(
            communicator: comm, parameterCount: problem.parameterCount, allreduce: config.gradient.allreduce)
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
    /// Returns the Feistel passes it took (`EpochSchedule.localIndices`).
    @discardableResult
    public func localIndices(step: Int, into out: inout [Int]) throws -> Int {
        let schedule = try EpochSchedule(count: config.trainSamples, batchSize: config.batchSize, seed: config.seed)
        _ = try Shard(count: schedule.batchSize, rank: comm.rank, size: comm.size)  // every rank needs a sample
        return schedule.localIndices(step: step, rank: comm.rank, size: comm.size, into: &out)
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
    public func computeGradient(_ state: inout TrainingState, timing: inout StepTiming, requestStop: Bool = false)
        throws -> Double
    {
        try localIndices(step: state.step, into: &indexBuffer)
        heartbeat.enter(.lossExchange, step: state.step)
        gradientExchange.begin()
        gradientExchange.requestStop = requestStop
        let loss = try problem.lossAndGradient(
            localIndices: indexBuffer, draw: UInt64(state.step),
            gradient: gradientExchange, timing: &timing)
        if faults.injects(rank: comm.rank, step: state.step) {
            // A fault counts as computation: the other ranks' wait in the all-reduce is watched.
            heartbeat.enter(.computing, step: state.step)
            faults.inject(rank: comm.rank, step: state.step)
        }
        heartbeat.enter(.gradientAllreduce, step: state.step)
        let t0 = comm.wtime()
        try gradientExchange.finish()
        timing.seconds.allreduce += comm.wtime() - t0
        heartbeat.enter(.computing, step: state.step)
        guard loss.isFinite else {
            throw TrainingError.nonFinite(
                step: state.step, loss: loss, lastFinite: nil,
                gradientNorm: gradientExchange.sumNorm)
        }
        // Ring all-reduce volume: each rank sends 2·(p − 1)/p of the buffer.
        timing.bytesSent +=
            2 * (comm.size - 1) * gradientExchange.parameterCount * MemoryLayout<Float>.stride / comm.size
        return loss
    }

    /// Whether any rank asked to stop in the last ``computeGradient(_:timing:requestStop:)``.
    public var stopRequested: Bool { gradientExchange.stopRequested }

    /// The second half of a step: the optimizer update with the all-reduced gradient, copied
    /// into the encoders; advances `state.step`. Identical on every rank.
    public func applyUpdate(_ state: inout TrainingState, timing: inout StepTiming) {
        let t0 = comm.wtime()
        gradientExchange.withSum { state.optimizer.apply(gradient: $0, to: &state.parameters) }
        problem.clampParameters(&state.parameters)
        problem.setParameters(state.parameters)
        state.step += 1
        timing.seconds.optimizer += comm.wtime() - t0
    }

    /// Trains from step 0, or from `checkpoint`, to `config.steps`; then evaluates the trained
    /// encoders once more (loss, diagnostics, downstream accuracy). A stop request (a signal, or
    /// the fault plan's stop) ends it early with a checkpoint: status `checkpointed`.
    public func run(resumingFrom checkpoint: Checkpoint? = nil) throws -> RunSummary {
        let fingerprint = try config.fingerprint(mode: mode)
        let trajectory = try config.trajectoryJSON()
        var state = try startingState(from: checkpoint, fingerprint: fingerprint, trajectory: trajectory)
        let recorder = RunRecorder(
            config: config, mode: mode, problem: problem, comm: comm, outputs: outputs,
            heartbeat: heartbeat, fingerprint: fingerprint, trajectory: trajectory,
            state: state, resumedFrom: checkpoint)
        watchdog.attach(
            Watchdog.Run(
                rank: comm.rank, host: MPIEnvironment.processorName,
                exchange: config.loss.exchange, keeper: recorder.keeper,
                stallTimeoutSeconds: config.stallTimeoutSeconds))
        var completed = false
        defer {
            watchdog.detach()
            recorder.close(completed: completed)  // a completed run's checkpoint is deleted
        }
        if let stopReason = try trainSteps(&state, recorder) {
            return recorder.finish(status: .checkpointed, stepsCompleted: state.step, stopReason: stopReason)
        }
        var timing = StepTiming()
        let loss = try gradientStep(&state, timing: &timing, lastLoss: recorder.lastLoss)
        try recorder.recordFinal(step: state.step, loss: loss, state: state, gradientNorm: gradientExchange.sumNorm)
        completed = true
        return recorder.finish(status: .completed, stepsCompleted: state.step, stopReason: nil)
    }

    /// The state to start from: the initial one, or `checkpoint`'s once it is known to be this run's.
    private func startingState(
        from checkpoint: Checkpoint?, fingerprint: String,
        trajectory: String
    ) throws -> TrainingState {
        var state = initialState()
        guard let checkpoint else { return state }
        guard checkpoint.configFingerprint == fingerprint else {
            let diff = TrainConfig.differences(checkpoint.trajectoryConfig, trajectory)
            let detail = diff.isEmpty ? "another modality" : diff.prefix(4).joined(separator: "; ")
            throw CheckpointError.otherConfig(path: outputs.checkpointURL?.path ?? "checkpoint", detail: detail)
        }
        guard checkpoint.parameters.count == state.parameters.count else {
            throw CheckpointError.incompatible(
                "\(checkpoint.parameters.count) parameters saved, this run has \(state.parameters.count)")
        }
        state.parameters = checkpoint.parameters
        problem.setParameters(state.parameters)
        try state.optimizer.restore(checkpoint.optimizer)
        state.step = checkpoint.step
        return state
    }

    /// The step loop: runs steps until `config.steps`, or until the ranks agree to stop (then
    /// checkpoints and returns the stop's reason; nil when every step ran).
    private func trainSteps(_ state: inout TrainingState, _ recorder: RunRecorder) throws -> String? {
        let startStep = state.step
        while state.step < config.steps {
            let stepStart = comm.wtime()
            if try stopAgreed(step: state.step, first: state.step == startStep) {
                heartbeat.enter(.computing, step: state.step)
                try recorder.checkpoint(state)
                let cause = StopSignal.received != 0 ? StopSignal.name(StopSignal.received) : "a simulated signal"
                recorder.message("stopped by \(cause) at step \(state.step); checkpoint written, resume with --resume")
                return "stopped by \(cause); checkpoint of step \(state.step) written at the step's end"
            }
            var timing = StepTiming()
            let step = state.step
            let loss = try gradientStep(&state, timing: &timing, lastLoss: recorder.lastLoss)
            var loggingSeconds = 0.0
            if step % config.logEvery == 0 {
                // Logged before the update: loss and diagnostics of the same parameters θ_step.
                let evaluate = config.evalEvery > 0 && step % config.evalEvery == 0
                loggingSeconds = try recorder.record(
                    step: step, loss: loss, state: state,
                    gradientNorm: gradientExchange.sumNorm, evaluate: evaluate)
            }
            applyUpdate(&state, timing: &timing)
            recorder.stepEnded(state, loss: loss, timing: timing, loggingSeconds: loggingSeconds)
            watchdog.stepEnded(seconds: comm.wtime() - stepStart)
            recorder.showProgress(step: state.step, loss: loss)
            if config.checkpointEvery > 0, state.step % config.checkpointEvery == 0, state.step < config.steps {
                try recorder.checkpoint(state)
            }
        }
        return nil
    }

    /// Whether the ranks agree to stop before `step`: its own all-reduce before the run's first
    /// step; after that the agreement rode in the last step's gradient all-reduce (a signal is
    /// read there when the last encoder's part starts; one that arrives later is seen a step later).
    private func stopAgreed(step: Int, first: Bool) throws -> Bool {
        guard first else { return stopRequested }
        heartbeat.enter(.stopAgreement, step: step)
        return try comm.anyTrue(StopSignal.received != 0 || faults.stops(before: step))
    }

    /// Loss and all-reduced gradient of the current step, asking to stop before the next one if
    /// the fault plan says so; a non-finite loss names `lastLoss`, the last finite one.
    private func gradientStep(
        _ state: inout TrainingState, timing: inout StepTiming,
        lastLoss: Double?
    ) throws -> Double {
        do {
            return try computeGradient(&state, timing: &timing, requestStop: faults.stops(before: state.step + 1))
        } catch let TrainingError.nonFinite(step, loss, _, norm) {
            throw TrainingError.nonFinite(step: step, loss: loss, lastFinite: lastLoss, gradientNorm: norm)
        }
    }
}
