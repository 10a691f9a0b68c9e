// Training/Problems/LossStep.swift — one step's distributed loss (the configured form), its
// results kept between steps, and the booking of its time and bytes in the step's timing.
import InfoMax
import Linalg
import MPI

/// One step's distributed loss with its results kept between steps: after the first step
/// with a given shape it allocates nothing. After `evaluate`, `dFirst` and `dSecond` are
/// ∂L/∂h and ∂L/∂g of this rank's rows.
struct LossStep {
    let loss: DistributedContrastiveLoss<Float>
    let form: LossForm
    private var pair = ContrastiveResult<Float>()
    private var both = SymmetricContrastiveResult<Float>()

    /// The loss of `options` over `comm`'s ranks (`width` sets the paper's 1/m scale); the
    /// symmetric form's two directions combine by `options.reduction` (auto: sum for the
    /// labelled-by-default model, signal-noise — Huang et al.'s eq. 9 — and mean for the others).
    init(_ options: LossConfig, width: Int, labelledByDefault: Bool, form: LossForm, comm: Communicator) throws {
        loss = try DistributedContrastiveLoss<Float>(
            communicator: comm,
            loss: ProblemSupport.contrastiveLoss(options, width: width, labelledByDefault: labelledByDefault),
            exchange: options.exchange,
            reduction: options.reduction.reduction(labelledByDefault: labelledByDefault))
        self.form = form
    }

    /// Evaluates the global loss of embeddings h and g (this rank's rows); books its time and bytes.
    mutating func evaluate(
        _ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
        clock: inout StepClock
    ) throws -> Float {
        let value: Float
        switch form {
        case .symmetric:
            try loss.evaluateSymmetric(h, g, labels: labels, into: &both)
            value = both.value
        case .candidatesSecond:
            try loss.evaluate(anchors: h, positives: g, candidates: g, labels: labels, into: &pair)
            pair.dPos += pair.dC  // in place: the result's storage is not shared
            value = pair.value
        case .candidatesFirst:
            try loss.evaluate(anchors: h, positives: g, candidates: h, labels: labels, into: &pair)
            pair.dA += pair.dC
            value = pair.value
        }
        timing.addLoss(loss.lastStats, wallSeconds: clock.lap())
        return value
    }

    var dFirst: Matrix<Float> { form == .symmetric ? both.dFirst : pair.dA }
    var dSecond: Matrix<Float> { form == .symmetric ? both.dSecond : pair.dPos }
}

extension StepTiming {
    /// Books one distributed-loss call that took `wallSeconds`: its MPI time as communication,
    /// the rest as compute, its bytes as sent.
    mutating func addLoss(_ stats: ContrastiveCallStats, wallSeconds: Double) {
        seconds.lossCommunication += stats.communicationSeconds
        seconds.lossCompute += wallSeconds - stats.communicationSeconds
        seconds.lossOverlapped += stats.overlappedSeconds
        bytesSent += stats.bytesSent
    }
}
