// Training/Problems/GuidedLossStep.swift — Zhang et al.'s own recipe on the co-occurrence
// model (code PKU-ML/CLIP-Help-SimCLR): a frozen multi-modal image encoder (the guide) picks,
// over the GLOBAL batch, each anchor's nearest neighbour (an extra positive: "AddNewPositive",
// loss ½ (plain + with the neighbour's view as the positive)), the negatives to drop (the
// most similar: "DropFalseNegative", the least: "DropEasyNegative") and, every step, the
// positive pairs to drop (the least similar: "DropFalsePositive"). The guide itself:
// GuideEncoder.swift. Learned loss parameters — InfoNCE's θ = log(1/τ) (loss.learn_temperature)
// or the sigmoid loss's log t, b (loss.learn_scale, loss.learn_bias) — are the problem's last
// flat parameters (LossStep's slots: copied, clamped and recorded there), set here too, their
// gradients each rank's shares from the masked plan, summed by the gradient all-reduce.
import Foundation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

/// The single-modal loss under a frozen guide: anchors h = f(x), candidates g = f(x̃) (the
/// positive views), the guide's choices for the current global batch (recomputed only when
/// the batch changes: once for full batch).
final class GuidedLossStep: StepLoss {
    let loss: MaskedContrastiveLoss<Float>
    let guide: GuideEncoder
    let addPositive: Bool
    let drop: NegativeDrop
    let fraction: Double
    let positiveDrop: PositiveDrop
    let positiveFraction: Double
    /// DropFalsePositive: the local anchors' image tokens, and per step the guide rows of the
    /// anchors and their views, their similarities and the global batch's.
    private var localTokens: [Int] = []
    private var anchorRows = Matrix<Float>(rows: 0, cols: 0), viewRows = Matrix<Float>(rows: 0, cols: 0)
    private var similarities: [Double] = []
    /// DropFalsePositive's per-step buffers, kept between steps (a step allocates nothing): this
    /// rank's pair similarities, the sort order and the dropped flags of the global batch.
    private var pairSimilarities: [Double] = [], dropOrder: [Int] = [], droppedPairs: [Bool] = []
    private var plain = ContrastiveResult<Float>(), extra = ContrastiveResult<Float>()
    private(set) var dFirst = Matrix<Float>(rows: 0, cols: 0), dSecond = Matrix<Float>(rows: 0, cols: 0)
    private var local: [Int64] = [], batch: [Int64] = [], layout = VectorLayout()
    /// The ranks' row counts (gathered into kept buffers: a step allocates nothing).
    private var countLocal: [Int64] = [0], countAll: [Int64] = [], counts: [Int] = []
    private var batchOfTargets: [Int64]? = nil
    private(set) var plainTargets = AnchorTargets(positives: []), guidedTargets = AnchorTargets(positives: [])
    /// InfoNCE: whether θ = log(1/τ) is learned; sigmoid: whether log t, b are (LossStep's slots).
    let parameters: LossParameterDecoder
    /// This step's shares of ∂L/∂θ, or ∂L/∂(log t), ∂L/∂b (the all-reduce sums the ranks' shares).
    private var parameterGradient: [Float] = [0, 0]
    /// A learned τ that left the allowed range, refused at the next step with its key.
    private var parameterError: String?

    init(config: TrainConfig, guide: GuideEncoder, comm: Communicator) throws {
        let c = config.cooccurrence
        guard guide.imageWeights.cols == c.imageVocabulary else {
            throw ConfigError.invalidValue(
                key: ConfigKey.cooccurrenceImageVocabulary.path,
                value: "\(c.imageVocabulary)",
                allowed: "the guide's vocabulary (\(guide.imageWeights.cols) image tokens)")
        }
        var options = ProblemSupport.contrastiveLoss(config.loss, width: config.encoder.width, labelledByDefault: false)
        options.negatives = .allOthers
        loss = try MaskedContrastiveLoss(communicator: comm, loss: options, reduceScatter: config.loss.reduceScatter)
        self.guide = guide
        addPositive = c.positives == .guided
        drop = c.negativesDrop
        fraction = c.dropFraction
        positiveDrop = c.positivesDrop
        positiveFraction = c.falsePositiveFraction
        parameters = LossParameterDecoder(config.loss)
    }

    /// The learned loss parameters: 0, 1 or 2 (as LossStep's).
    var parameterCount: Int { parameters.count }

    /// Sets τ = 1/min(e^θ, 100), or t = e^{log t} and b, from `flat` at `offset` (LossStep's
    /// slots); a value out of range is refused by the next ``evaluate``, naming its key.
    func setParameters(_ flat: [Float], at offset: Int) {
        let loss = self.loss
        let refused = parameters.decode(
            flat, at: offset, current: loss.loss, setTemperature: { try loss.setTemperature($0) },
            setSigmoid: { try loss.setSigmoidParameters(scale: $0, bias: $1) })
        if let refused { parameterError = refused }
    }

    /// Hands this rank's shares of the learned parameters' gradients to `gradient` after the
    /// encoder's part.
    func deliverParameterGradient(to gradient: GradientExchange) throws {
        guard parameterCount > 0 else { return }
        try parameterGradient.withUnsafeBufferPointer {
            try gradient.deliver(UnsafeBufferPointer(rebasing: $0[0..<parameterCount]))
        }
    }

    /// Gathers the global batch (sample indices, rank order) and, when it changed, lets the
    /// guide choose every local anchor's neighbour and dropped negatives; with a positive drop,
    /// every step, the dropped positive pairs of this step's `views` (one-hot rows). Collective.
    func prepare(localIndices: [Int], sampler: Cooccurrence.Sampler, views: Matrix<Float>) throws {
        try prepareBatch(localIndices: localIndices, sampler: sampler)
        if positiveDrop != .none { try dropFalsePositives(views: views) }
    }

    /// DropFalsePositive: each local pair's guide similarity (anchor token vs view token), all
    /// gathered, the ⌊fraction · B⌋ lowest of the global batch dropped (ties by global row).
    private func dropFalsePositives(views: Matrix<Float>) throws {
        let w = guide.imageWeights
        let b = localTokens.count
        anchorRows.reshape(rows: b, cols: w.rows)
        viewRows.reshape(rows: b, cols: w.rows)
        for r in 0..<b {
            var token = 0
            for t in 1..<views.cols where views[r, t] > views[r, token] { token = t }
            for e in 0..<w.rows {
                anchorRows[r, e] = w[e, localTokens[r]]
                viewRows[r, e] = w[e, token]
            }
        }
        try FalsePositiveSelection.pairSimilarities(anchors: anchorRows, positives: viewRows, into: &pairSimilarities)
        try loss.communicator.allgatherv(pairSimilarities, into: &similarities, layout: layout)
        let count = FalsePositiveSelection.dropCount(
            positiveDrop, fraction: positiveFraction, globalRows: similarities.count)
        FalsePositiveSelection.dropped(
            similarities: similarities, count: count, order: &dropOrder, into: &droppedPairs)
        let first = layout.displacement(loss.communicator.rank)
        plainTargets.withoutPositive.removeAll(keepingCapacity: true)
        plainTargets.withoutPositive.append(contentsOf: droppedPairs[first..<(first + b)])
    }

    private func prepareBatch(localIndices: [Int], sampler: Cooccurrence.Sampler) throws {
        let comm = loss.communicator
        local.removeAll(keepingCapacity: true)
        for i in localIndices { local.append(Int64(i)) }
        countLocal[0] = Int64(local.count)
        try comm.allgather(countLocal, into: &countAll)
        counts.removeAll(keepingCapacity: true)
        for r in 0..<countAll.count { counts.append(Int(countAll[r])) }
        try layout.set(counts: counts)
        try comm.allgatherv(local, into: &batch, layout: layout)
        guard batch != batchOfTargets else { return }
        let first = counts[..<comm.rank].reduce(0, +)
        var tokens: [Int] = []
        tokens.reserveCapacity(batch.count)
        for i in batch { tokens.append(try sampler.sample(of: Int(i)).image) }
        let w = guide.imageWeights
        let rows = Matrix<Float>(rows: batch.count, cols: w.rows) { j, t in w[t, tokens[j]] }
        localTokens = Array(tokens[first..<(first + local.count)])
        let selection = try GuideSelection.select(
            guide: rows, keys: tokens, localRows: first..<(first + local.count),
            drop: drop, fraction: fraction)
        plainTargets = AnchorTargets(
            positives: Array(first..<(first + local.count)), offsets: selection.dropOffsets,
            excluded: selection.dropped)
        guidedTargets = AnchorTargets(
            positives: selection.neighbours, offsets: selection.dropOffsets, excluded: selection.dropped)
        batchOfTargets = batch
    }

    func evaluate(
        _ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
        clock: inout StepClock
    ) throws -> Float {
        if let parameterError { throw TrainingError.invalidLearnedParameter(parameterError) }
        try loss.evaluate(anchors: h, candidates: g, targets: plainTargets, into: &plain)
        var value = plain.value
        var dTheta = loss.thetaGradientShare
        var dBias = loss.biasGradientShare
        var stats = loss.lastStats
        if addPositive {
            try loss.evaluate(anchors: h, candidates: g, targets: guidedTargets, into: &extra)
            stats = stats + loss.lastStats
            value = (plain.value + extra.value) / 2
            dTheta = (dTheta + loss.thetaGradientShare) / 2
            dBias = (dBias + loss.biasGradientShare) / 2
            Self.average(plain.dA, extra.dA, into: &dFirst)
            Self.average(plain.dC, extra.dC, into: &dSecond)
        } else {
            Self.copy(plain.dA, into: &dFirst)
            Self.copy(plain.dC, into: &dSecond)
        }
        // θ or log t first, then b: ∂L/∂(log t) is the same Σ ∂L/∂ℓ·ℓ as InfoNCE's ∂L/∂θ.
        parameterGradient[0] = Float(parameters.learnBias && !parameters.learnScale ? dBias : dTheta)
        parameterGradient[1] = Float(dBias)
        timing.addLoss(stats, wallSeconds: clock.lap())
        return value
    }

    /// out = x, in out's storage (no reference kept to x's, so the next call writes x in place).
    private static func copy(_ x: Matrix<Float>, into out: inout Matrix<Float>) {
        out.reshape(rows: x.rows, cols: x.cols)
        out.storage.withUnsafeMutableBufferPointer { o in
            x.storage.withUnsafeBufferPointer { i in
                if let d = o.baseAddress, let s = i.baseAddress { d.update(from: s, count: i.count) }
            }
        }
    }

    /// out = ½ (x + y).
    private static func average(_ x: Matrix<Float>, _ y: Matrix<Float>, into out: inout Matrix<Float>) {
        out.reshape(rows: x.rows, cols: x.cols)
        for i in out.storage.indices { out.storage[i] = (x.storage[i] + y.storage[i]) * 0.5 }
    }
}
