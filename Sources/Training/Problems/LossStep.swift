// Training/Problems/LossStep.swift — one step's distributed loss (the configured form), its
// results kept between steps, the booking of its time and bytes in the step's timing, and the
// learned loss parameters at the end of the problem's flat parameters: the sigmoid loss's
// (log t, b) or InfoNCE's log(1/τ) (CLIP's logit scale, clamped at 100).
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
    /// Which loss parameters are learned and their slots in the flat parameters.
    let parameters: LossParameterDecoder
    var learnScale: Bool { parameters.learnScale }
    var learnBias: Bool { parameters.learnBias }
    var learnTemperature: Bool { parameters.learnTemperature }
    /// Learned τ with cosine similarity: the rows are normalised here and the loss runs in its
    /// dot form on them, so that ∂L/∂θ is read off the gradients of the normalised rows.
    let normalizesRows: Bool
    private var hh = Matrix<Float>(rows: 0, cols: 0), gh = Matrix<Float>(rows: 0, cols: 0)
    private var normsH: [Float] = [], normsG: [Float] = []
    /// This step's ∂L/∂(log t) = t·∂L/∂t and ∂L/∂b (global: the loss summed them over the ranks);
    /// or InfoNCE's ∂L/∂θ, this rank's share (the gradient all-reduce sums the ranks' shares).
    private var parameterGradient: [Float] = [0, 0]
    /// A learned value that left the allowed range (non-finite), refused at the next step.
    private var parameterError: String?

    /// The loss of `options` over `comm`'s ranks (`width` sets the paper's 1/m scale); the
    /// symmetric form's two directions combine by `options.reduction` (auto: sum for the
    /// labelled-by-default model, signal-noise — Huang et al.'s eq. 9 — and mean for the others).
    init(_ options: LossConfig, width: Int, labelledByDefault: Bool, form: LossForm, comm: Communicator) throws {
        var objective = ProblemSupport.contrastiveLoss(options, width: width, labelledByDefault: labelledByDefault)
        normalizesRows = options.kind == .infonce && options.learnTemperature && options.similarity == .cosine
        if normalizesRows { objective.similarity = .dot }
        loss = try DistributedContrastiveLoss<Float>(
            communicator: comm, loss: objective, exchange: options.exchange,
            reduction: options.reduction.reduction(labelledByDefault: labelledByDefault),
            reduceScatter: options.reduceScatter)
        self.form = form
        parameters = LossParameterDecoder(options)
    }

    /// The learned loss parameters: 0, 1 or 2 (log t, then b; or θ = log(1/τ)).
    var parameterCount: Int { parameters.count }

    /// Writes the learned parameters (log t, b; or θ) to `flat` from `offset`.
    func copyParameters(into flat: inout [Float], at offset: Int) {
        parameters.encode(loss.loss, into: &flat, at: offset)
    }

    /// Sets the learned parameters from `flat` at `offset` (t = e^{log t}); a non-finite value is
    /// refused by the next ``evaluate``, naming its key.
    mutating func setParameters(_ flat: [Float], at offset: Int) {
        let loss = self.loss
        let refused = parameters.decode(
            flat, at: offset, current: loss.loss, setTemperature: { try loss.setTemperature($0) },
            setSigmoid: { try loss.setSigmoidParameters(scale: $0, bias: $1) })
        if let refused { parameterError = refused }
    }

    /// CLIP's clamp, applied to the optimizer's parameters after each update: θ ≤ log 100.
    func clampParameters(_ flat: inout [Float], at offset: Int) {
        parameters.clamp(&flat, at: offset)
    }

    /// Hands this step's ∂L/∂(log t), ∂L/∂b to `gradient` after the encoders' parts: the loss
    /// already summed them over the ranks (rank order), so rank 0 delivers them and every other
    /// rank zeros — the all-reduce's sum is then exactly that value on every rank. InfoNCE's
    /// ∂L/∂θ: every rank delivers its own rows' share, the all-reduce sums them.
    func deliverParameterGradient(to gradient: GradientExchange) throws {
        guard parameterCount > 0 else { return }
        try parameterGradient.withUnsafeBufferPointer {
            try gradient.deliver(UnsafeBufferPointer(rebasing: $0[0..<parameterCount]))
        }
    }

    /// The loss's t and b (every logged row of a sigmoid run, learned or not); the learned τ.
    func record(into row: inout MetricsRow) {
        if learnTemperature { row[.temperature] = loss.loss.temperature }
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
        var h = h
        var g = g
        if normalizesRows {
            normalizeRows(h, into: &hh, norms: &normsH)
            normalizeRows(g, into: &gh, norms: &normsG)
            h = hh
            g = gh
        }
        // Learned θ = log(1/τ), dot similarity: this rank's ∂L/∂θ from the returned gradients.
        var dTheta = 0.0
        switch form {
        case .symmetric:
            try loss.evaluateSymmetric(h, g, labels: labels, into: &both)
            value = both.value
            if learnTemperature {
                dTheta = TemperatureGradient.symmetric(
                    dFirst: both.dFirst, h, dSecond: both.dSecond, g, stopGradient: loss.loss.stopGradient)
            }
        case .candidatesSecond:
            try loss.evaluate(anchors: h, positives: g, candidates: g, labels: labels, into: &pair)
            pair.dPos += pair.dC  // in place: the result's storage is not shared
            value = pair.value
            if learnTemperature { dTheta = TemperatureGradient.direction(dA: pair.dA, anchors: h) }
        case .candidatesFirst:
            try loss.evaluate(anchors: h, positives: g, candidates: h, labels: labels, into: &pair)
            if learnTemperature { dTheta = TemperatureGradient.direction(dA: pair.dA, anchors: h) }
            pair.dA += pair.dC
            value = pair.value
        }
        if learnTemperature { parameterGradient[0] = Float(dTheta) }
        if normalizesRows {
            // Release the extra references to ĥ, ĝ's storage before the in-place backward.
            h = Matrix(rows: 0, cols: 0)
            g = h
            if form == .symmetric {
                backpropNormalization(&both.dFirst, normalized: hh, norms: normsH)
                backpropNormalization(&both.dSecond, normalized: gh, norms: normsG)
            } else {
                backpropNormalization(&pair.dA, normalized: hh, norms: normsH)
                backpropNormalization(&pair.dPos, normalized: gh, norms: normsG)
            }
        }
        timing.addLoss(loss.lastStats, wallSeconds: clock.lap())
        if learnScale || learnBias {
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
