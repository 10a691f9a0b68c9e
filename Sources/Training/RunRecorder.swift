// Training/RunRecorder.swift — what one training run records, apart from the step loop that
// trains (Trainer): the metrics rows (loss, diagnostics, downstream accuracy), progress, the
// time spent by kind, rank 0's checkpoints (the loop's collective ones, and the last completed
// step kept for the watchdog thread's immediate ones), and the run's summary, built in one
// place for the end of the run and for a checkpoint written off the loop.
import Foundation
import MPI
import RunRecords
import Synthetic

/// Records one run of a `Trainer` (every rank; only rank 0 has writers).
final class RunRecorder {
    /// Seconds the run spent, by kind, summed over its steps.
    struct Totals {
        /// Computation, diagnostics and evaluation included.
        var compute = 0.0
        /// The loss's exchanges and the gradient all-reduce.
        var communication = 0.0
        /// Building and writing the logged rows (also inside `compute`).
        var logging = 0.0
    }

    /// What a run's summary takes from the run as a whole: the one place a `RunSummary` is built.
    struct Template {
        let config: TrainConfig
        let mode: ModalityMode
        let ranks: Int
        /// The step this launch started from, and the checkpoint's elapsed time it carried on.
        let startStep: Int
        let elapsedBefore: Double
        let resumedFrom: Int?
        /// Co-occurrence runs: Zhang et al.'s bound quantities of the training model (nil otherwise).
        let bound: Cooccurrence.BoundQuantities?

        /// The summary after `stepsCompleted` steps; figures the last logged `row` lacks are nil.
        func summary(
            status: RunStatus, stepsCompleted: Int, finalLoss: Double?, row: MetricsRow,
            wallSeconds: Double, totals: Totals, stopReason: String?
        ) -> RunSummary {
            let ran = Double(max(stepsCompleted - startStep, 1))
            return RunSummary(
                name: config.name, model: config.model, mode: mode, loss: config.loss.kind.rawValue, seed: config.seed,
                status: status, stepsCompleted: stepsCompleted, stepsPlanned: config.steps, ranks: ranks,
                finalLoss: finalLoss, trainAccuracy: row[.trainAccuracy], testAccuracy: row[.testAccuracy],
                signalLearning: row[.signalLearning], noiseMemorization: row[.noiseMemorization],
                noiseMemorizationSe: row[.noiseMemorizationSE],
                diagnosticsSamples: row[.diagnosticsSamples].map { Int($0) },
                conditionNumber: row[.conditionNumber], subspaceAlignment: row[.subspaceAlignment],
                wallSeconds: wallSeconds, secondsPerStep: (wallSeconds - elapsedBefore) / ran,
                computeSeconds: totals.compute, communicationSeconds: totals.communication,
                loggingSeconds: totals.logging,
                resumedFromStep: resumedFrom, stopReason: stopReason, sigmoidScale: row[.sigmoidScale],
                sigmoidBias: row[.sigmoidBias], temperature: row[.temperature],
                t1Predicted: HuangAssumptions(config: config)?.t1Prediction,
                singularValueKPlusOne: bound?.sigmaNext, labelingError: bound?.labelingError,
                imageBayesError: bound?.imageBayesError)
        }
    }

    private let config: TrainConfig
    private let problem: ContrastiveProblem
    private let comm: Communicator
    private let outputs: RunOutputs
    private let heartbeat: Heartbeat
    private let template: Template
    /// Rank 0's last completed step and checkpoint writer (nil elsewhere, or without checkpoints).
    let keeper: CheckpointKeeper?
    /// `comm.wtime()` when this launch started.
    private let start: Double
    private(set) var totals = Totals()
    /// The loss of the last step run (nil before the first).
    private(set) var lastLoss: Double?
    private var lastRow = MetricsRow()

    /// Starts recording a run that begins at `state` (`resumedFrom`: the checkpoint it came from).
    init(
        config: TrainConfig, mode: ModalityMode, problem: ContrastiveProblem, comm: Communicator,
        outputs: RunOutputs, heartbeat: Heartbeat, fingerprint: String, trajectory: String,
        state: TrainingState, resumedFrom: Checkpoint?
    ) {
        self.config = config
        self.problem = problem
        self.comm = comm
        self.outputs = outputs
        self.heartbeat = heartbeat
        let elapsedBefore = resumedFrom?.elapsedSeconds ?? 0
        let template = Template(
            config: config, mode: mode, ranks: comm.size, startStep: state.step,
            elapsedBefore: elapsedBefore, resumedFrom: resumedFrom?.step, bound: Self.boundQuantities(config))
        self.template = template
        if comm.isRoot, let url = outputs.checkpointURL {
            // A checkpoint written off the training loop (signal mid-step, stall, dead launcher) says so at once.
            let emergencySummary = outputs.summaryWriter.map { write in
                { (status: RunStatus, reason: String, s: CheckpointKeeper.Snapshot) in
                    let stopReason = "\(reason); checkpoint of step \(s.step), the last completed step"
                    write(
                        template.summary(
                            status: status, stepsCompleted: s.step, finalLoss: s.loss, row: MetricsRow(),
                            wallSeconds: s.elapsed, totals: s.totals, stopReason: stopReason))
                }
            }
            keeper = CheckpointKeeper(
                url: url, fingerprint: fingerprint, trajectory: trajectory,
                minutes: config.checkpointMinutes, state: state, elapsed: elapsedBefore,
                writeSummary: emergencySummary)
        } else {
            keeper = nil
        }
        start = comm.wtime()
        if let resumedFrom { message("resumed from step \(resumedFrom.step) of \(config.steps)") }
    }

    /// Zhang et al.'s bound quantities of a co-occurrence run's training model, k = encoder.width
    /// (nil for the other models; the model was validated when the problem was built).
    static func boundQuantities(_ config: TrainConfig) -> Cooccurrence.BoundQuantities? {
        guard config.model == .cooccurrence else { return nil }
        let c = config.cooccurrence
        let model = Cooccurrence(
            n: config.trainSamples, classes: c.classes, imageVocabulary: c.imageVocabulary,
            textVocabulary: c.textVocabulary, imageLeakage: c.imageLeak, textLeakage: c.textLeak, seed: config.seed)
        return try? model.boundQuantities(k: config.encoder.width)
    }

    /// Seconds of the run so far, the interrupted launches' included.
    func elapsed() -> Double { template.elapsedBefore + comm.wtime() - start }

    /// A line for the progress display.
    func message(_ text: String) { outputs.progress?.message(text) }

    /// Builds and writes the row of step `step` (loss and diagnostics of the parameters the step
    /// started from; downstream accuracy when `evaluate`). Collective. Returns its seconds.
    func record(step: Int, loss: Double, state: TrainingState, gradientNorm: Double, evaluate: Bool) throws -> Double {
        let t0 = comm.wtime()
        heartbeat.enter(.logging, step: step)
        var row = MetricsRow()
        row[.step] = Double(step)
        let batch = config.batchSize == 0 ? config.trainSamples : config.batchSize
        row[.epoch] = Double(step) * Double(batch) / Double(config.trainSamples)
        row[.wallSeconds] = elapsed()
        row[.computeSeconds] = totals.compute
        row[.communicationSeconds] = totals.communication
        row[.loss] = loss
        row[.learningRate] = Double(state.optimizer.currentLearningRate)
        row[.gradientNorm] = gradientNorm
        try problem.diagnostics(into: &row)
        if evaluate, let acc = try problem.downstreamAccuracy() {
            row[.trainAccuracy] = acc.train
            row[.testAccuracy] = acc.test
        }
        lastRow = row
        heartbeat.enter(.computing, step: step)
        try outputs.metrics?.record(row)
        return comm.wtime() - t0
    }

    /// The row of the trained encoders (`state` after the last step), downstream accuracy included.
    func recordFinal(step: Int, loss: Double, state: TrainingState, gradientNorm: Double) throws {
        _ = try record(step: step, loss: loss, state: state, gradientNorm: gradientNorm, evaluate: true)
        lastLoss = loss
    }

    /// After a step's update: adds its times (diagnostics and evaluation count as compute) and
    /// hands the completed state to the keeper.
    func stepEnded(_ state: TrainingState, loss: Double, timing: StepTiming, loggingSeconds: Double) {
        let communication = timing.seconds.lossCommunication + timing.seconds.allreduce
        totals.communication += communication
        totals.compute += timing.totalSeconds - communication + loggingSeconds
        totals.logging += loggingSeconds
        lastLoss = loss
        keeper?.publish(state, elapsed: elapsed(), loss: loss, totals: totals)
    }

    /// Shows `step` steps done with the latest loss.
    func showProgress(step: Int, loss: Double) {
        outputs.progress?.update(step: step, of: config.steps, loss: loss, elapsed: elapsed())
    }

    /// The loop's checkpoint of `state` (rank 0 writes, every rank waits for it). Collective;
    /// nothing without a checkpoint URL.
    func checkpoint(_ state: TrainingState) throws {
        guard outputs.checkpointURL != nil else { return }
        try keeper?.write(state, elapsed: elapsed())
        heartbeat.enter(.checkpointBarrier, step: state.step)
        try comm.barrier()
        heartbeat.enter(.computing, step: state.step)
    }

    /// Ends the progress display and returns the run's summary.
    func finish(status: RunStatus, stepsCompleted: Int, stopReason: String?) -> RunSummary {
        outputs.progress?.finish()
        return template.summary(
            status: status, stepsCompleted: stepsCompleted, finalLoss: lastLoss, row: lastRow,
            wallSeconds: elapsed(), totals: totals, stopReason: stopReason)
    }

    /// Ends the run's checkpoint writing; a completed run's checkpoint file is deleted.
    func close(completed: Bool) {
        keeper?.close(removeFile: completed)
    }
}
