// Training/Trainer.swift — the training loop every rank runs in lockstep: pick the step's
// global batch, let the problem compute the distributed loss and this rank's gradient,
// all-reduce the fused gradient once, apply the identical update; log, evaluate, checkpoint,
// and stop cleanly on a signal or a non-finite loss.
import Foundation
import Linalg
import MPI
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

    public var exitCode: Int32 { ExitStatus.numerical }
}

/// How a run ended, and its final figures (summary.json).
public struct RunSummary: Codable, Sendable {
    public var name: String
    public var model: String
    public var mode: String
    public var loss: String
    public var seed: UInt64
    /// "completed", "checkpointed" (stopped by a signal, resumable) or "failed".
    public var status: String
    public var stepsCompleted: Int
    public var stepsPlanned: Int
    public var ranks: Int
    public var finalLoss: Double?
    public var trainAccuracy: Double?
    public var testAccuracy: Double?
    public var signalLearning: Double?
    public var noiseMemorization: Double?
    public var conditionNumber: Double?
    public var subspaceAlignment: Double?
    public var wallSeconds: Double
    public var secondsPerStep: Double
    public var computeSeconds: Double
    public var communicationSeconds: Double
    public var resumedFromStep: Int?
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

    public init(config: TrainConfig, mode: ModalityMode, problem: ContrastiveProblem, comm: Communicator) {
        precondition(mode != .compare, "a Trainer trains one modality")
        self.config = config
        self.mode = mode
        self.problem = problem
        self.comm = comm
    }

    /// The global sample indices of step `step`'s batch that this rank owns. Full batch: the
    /// rank's contiguous shard of 0..<n. Mini-batch: an epoch-wise permutation of 0..<n (a pure
    /// function of seed and epoch), cut into global batches, each split contiguously over ranks.
    /// Either way the global batch, and so the trajectory, does not depend on the rank count.
    public func localIndices(step: Int) throws -> [Int] {
        let n = config.trainSamples
        let batch = config.batchSize == 0 ? n : config.batchSize
        if batch == n {
            return Array(try Shard(count: n, rank: comm.rank, size: comm.size).range)
        }
        let perEpoch = n / batch
        let epoch = step / perEpoch, within = step % perEpoch
        let perm = Self.permutation(n: n, seed: config.seed, epoch: epoch)
        let global = Array(perm[(within * batch)..<((within + 1) * batch)])
        let part = try Shard(count: batch, rank: comm.rank, size: comm.size).range
        return Array(global[part])
    }

    static func permutation(n: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = CounterRNG(seed: seed, purpose: .shuffle, split: .train, item: epoch)
        var p = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// Trains from step 0, or from `checkpoint`, to `config.steps`.
    public func run(resumingFrom checkpoint: Checkpoint? = nil) throws -> RunSummary {
        let total = config.steps
        let fingerprint = try config.fingerprint(mode: mode)
        let trajectory = try config.trajectoryJSON()
        var params = [Float](repeating: 0, count: problem.parameterCount)
        problem.copyParameters(into: &params)
        var optimizer = Optimizer(config: config.optimizer, parameterCount: params.count, totalSteps: total)
        var gradient = [Float](repeating: 0, count: params.count)
        var startStep = 0
        var elapsedBefore = 0.0
        if let checkpoint {
            guard checkpoint.configFingerprint == fingerprint else {
                let diff = TrainConfig.differences(checkpoint.trajectoryConfig, trajectory)
                throw CheckpointError.otherConfig(path: checkpointURL?.path ?? "checkpoint",
                                                  detail: diff.isEmpty ? "another modality" : diff.prefix(4).joined(separator: "; "))
            }
            guard checkpoint.parameters.count == params.count else {
                throw CheckpointError.incompatible("\(checkpoint.parameters.count) parameters saved, this run has \(params.count)")
            }
            params = checkpoint.parameters
            problem.setParameters(params)
            try optimizer.restore(checkpoint.optimizer)
            startStep = checkpoint.step
            elapsedBefore = checkpoint.elapsedSeconds
            progress?.message("resumed from step \(startStep) of \(total)")
        }

        let start = comm.wtime()
        var computeSeconds = 0.0, commSeconds = 0.0
        var lastLoss: Double? = nil
        var lastRow = MetricsRow()
        var status = "completed"
        var stepsDone = startStep

        func elapsed() -> Double { elapsedBefore + comm.wtime() - start }

        func makeRow(step: Int, loss: Double, evaluate: Bool) throws -> MetricsRow {
            var row = MetricsRow()
            row[.step] = Double(step)
            row[.epoch] = Double(step) * Double(config.batchSize == 0 ? config.trainSamples : config.batchSize) / Double(config.trainSamples)
            row[.wallSeconds] = elapsed()
            row[.computeSeconds] = computeSeconds
            row[.communicationSeconds] = commSeconds
            row[.loss] = loss
            row[.learningRate] = Double(optimizer.currentLearningRate)
            row[.gradientNorm] = Double(dot(gradient, gradient).squareRoot())
            try problem.diagnostics(into: &row)
            if evaluate, let acc = try problem.downstreamAccuracy() {
                row[.trainAccuracy] = acc.train
                row[.testAccuracy] = acc.test
            }
            return row
        }

        func saveCheckpoint(step: Int) throws {
            guard let url = checkpointURL else { return }
            if comm.isRoot {
                let c = Checkpoint(configFingerprint: fingerprint, trajectoryConfig: trajectory, step: step, parameters: params,
                                   optimizer: optimizer.state, rngDraw: UInt64(step), elapsedSeconds: elapsed())
                try c.write(to: url)
            }
            try comm.barrier()
        }

        var step = startStep
        while step < total {
            if try comm.anyTrue(StopSignal.received != 0 || step == simulatedStopStep) {
                try saveCheckpoint(step: step)
                let cause = StopSignal.received != 0 ? StopSignal.name(StopSignal.received) : "a simulated signal"
                progress?.message("stopped by \(cause) at step \(step); checkpoint written, resume with --resume")
                status = "checkpointed"
                break
            }
            var timing = StepTiming()
            let indices = try localIndices(step: step)
            let t0 = comm.wtime()
            let loss = try problem.lossAndGradient(localIndices: indices, draw: UInt64(step), gradient: &gradient, timing: &timing)
            let t1 = comm.wtime()
            guard loss.isFinite else {
                throw TrainingError.nonFinite(step: step, loss: loss, lastFinite: lastLoss, gradientNorm: Double(dot(gradient, gradient).squareRoot()))
            }
            let t2 = comm.wtime()
            try comm.allreduce(inPlace: &gradient, op: .sum)
            let t3 = comm.wtime()
            if step % config.logEvery == 0 {
                // Logged before the update: loss and diagnostics of the same parameters θ_step.
                let evaluate = config.evalEvery > 0 && step % config.evalEvery == 0
                lastRow = try makeRow(step: step, loss: loss, evaluate: evaluate)
                try metricsSink?.record(lastRow)
            }
            optimizer.apply(gradient: gradient, to: &params)
            problem.setParameters(params)
            let t4 = comm.wtime()
            // Diagnostics and evaluation time (t3 → t4 includes them) count as compute.
            commSeconds += timing.lossCommunicationSeconds + (t3 - t2)
            computeSeconds += (t1 - t0) - timing.lossCommunicationSeconds + (t4 - t3)
            lastLoss = loss
            step += 1
            stepsDone = step
            progress?.update(step: step, of: total, loss: loss, elapsed: elapsed())
            if config.checkpointEvery > 0, step % config.checkpointEvery == 0, step < total {
                try saveCheckpoint(step: step)
            }
        }

        if status == "completed" {
            // The final state: loss, diagnostics and downstream accuracy of the trained encoders.
            var timing = StepTiming()
            let loss = try problem.lossAndGradient(localIndices: try localIndices(step: total), draw: UInt64(total),
                                                   gradient: &gradient, timing: &timing)
            try comm.allreduce(inPlace: &gradient, op: .sum)
            lastRow = try makeRow(step: total, loss: loss, evaluate: true)
            try metricsSink?.record(lastRow)
            lastLoss = loss
            if let url = checkpointURL, comm.isRoot { try? FileManager.default.removeItem(at: url) }
        }
        progress?.finish()
        let wall = elapsed()
        let ran = max(stepsDone - startStep, 1)
        return RunSummary(
            name: config.name, model: config.model.rawValue, mode: mode.rawValue, loss: config.loss.kind.rawValue,
            seed: config.seed, status: status, stepsCompleted: stepsDone, stepsPlanned: total, ranks: comm.size,
            finalLoss: lastLoss, trainAccuracy: lastRow[.trainAccuracy], testAccuracy: lastRow[.testAccuracy],
            signalLearning: lastRow[.signalLearning], noiseMemorization: lastRow[.noiseMemorization],
            conditionNumber: lastRow[.conditionNumber], subspaceAlignment: lastRow[.subspaceAlignment],
            wallSeconds: wall, secondsPerStep: (comm.wtime() - start) / Double(ran),
            computeSeconds: computeSeconds, communicationSeconds: commSeconds,
            resumedFromStep: checkpoint?.step)
    }
}
