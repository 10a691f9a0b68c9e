// Training/Problems/LossStep.swift — one step's distributed loss (the configured form), its
// results kept between steps, the booking of its time and bytes in the step's timing, and the
// sigmoid loss's learned parameters (log t, b) at the end of the problem's flat parameters.
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
    /// Sigmoid loss: whether log t and b are learned (then they follow the encoders' parameters,
    /// in this order, in the flat vector the optimizer updates and checkpoints carry).
    let learnScale: Bool, learnBias: Bool
    /// This step's ∂L/∂(log t) = t·∂L/∂t and ∂L/∂b (global: the loss summed them over the ranks).
    private var parameterGradient: [Float] = [0, 0]
    /// A learned value that left the allowed range (non-finite), refused at the next step.
    private var parameterError: String?

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
        learnScale = options.kind == .sigmoid && options.learnScale
        learnBias = options.kind == .sigmoid && options.learnBias
    }

    /// The learned loss parameters: 0, 1 or 2 (log t, then b).
    var parameterCount: Int { (learnScale ? 1 : 0) + (learnBias ? 1 : 0) }

    /// Writes the learned parameters (log t, b) to `flat` from `offset`.
    func copyParameters(into flat: inout [Float], at offset: Int) {
        var at = offset
        if learnScale {
            flat[at] = Float(Double.log(loss.loss.logitScale))
            at += 1
        }
        if learnBias { flat[at] = Float(loss.loss.bias) }
    }

    /// Sets the learned parameters from `flat` at `offset` (t = e^{log t}); a non-finite value is
    /// refused by the next ``evaluate``, naming its key.
    mutating func setParameters(_ flat: [Float], at offset: Int) {
        guard parameterCount > 0 else { return }
        var t = loss.loss.logitScale
        var bias = loss.loss.bias
        var at = offset
        if learnScale {
            t = Double.exp(Double(flat[at]))
            at += 1
        }
        if learnBias { bias = Double(flat[at]) }
        do {
            try loss.setSigmoidParameters(scale: t, bias: bias)
        } catch {
            let scaleBad = learnScale && !(t > 0 && t.isFinite)
            let key = scaleBad ? ConfigKey.lossLearnScale : ConfigKey.lossLearnBias
            parameterError = "\(key): the learned value became \(scaleBad ? t : bias); \(error)"
        }
    }

    /// Hands this step's ∂L/∂(log t), ∂L/∂b to `gradient` after the encoders' parts: the loss
    /// already summed them over the ranks (rank order), so rank 0 delivers them and every other
    /// rank zeros — the all-reduce's sum is then exactly that value on every rank.
    func deliverParameterGradient(to gradient: GradientExchange) throws {
        guard parameterCount > 0 else { return }
        try parameterGradient.withUnsafeBufferPointer {
            try gradient.deliver(UnsafeBufferPointer(rebasing: $0[0..<parameterCount]))
        }
    }

    /// The loss's t and b (every logged row of a sigmoid run, learned or not).
    func record(into row: inout MetricsRow) {
        guard loss.loss.objective == .sigmoid else { return }
        row[.sigmoidScale] = loss.loss.logitScale
        row[.sigmoidBias] = loss.loss.bias
    }

    /// Evaluates the global loss of embeddings h and g (this rank's rows); books its time and bytes.
    mutating func evaluate(
        _ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
        clock: inout StepClock
    ) throws -> Float {
        if let parameterError { throw TrainingError.invalidLearnedParameter(parameterError) }
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
        if parameterCount > 0 {
            let r = form == .symmetric ? (both.dLogitScale, both.dBias) : (pair.dLogitScale, pair.dBias)
            let mine = loss.communicator.rank == 0
            var at = 0
            if learnScale {
                parameterGradient[at] = mine ? Float(loss.loss.logitScale * r.0) : 0
                at += 1
            }
            if learnBias { parameterGradient[at] = mine ? Float(r.1) : 0 }
        }
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
