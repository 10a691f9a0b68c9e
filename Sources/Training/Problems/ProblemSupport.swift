// Training/Problems/ProblemSupport.swift — pieces every problem shares: Gaussian weight
// initialisation from the counter-based RNG, packing encoder matrices into the fused flat
// vector, the loss options from the config, the encoder half of a step (ViewPairStep), a lap
// clock, and the problem factory.
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

enum ProblemSupport {
    /// A rows × cols matrix of N(0, σ²) draws keyed by (seed, encoder item): the same on every rank.
    /// Throws (exit 64, naming encoder.width) if rows × cols overflows Int.
    static func gaussianWeights(rows: Int, cols: Int, sigma: Double, seed: UInt64, item: Int) throws -> Matrix<Float> {
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, rows >= 0, cols >= 0 else {
            throw ConfigError.invalidValue(key: ConfigKey.encoderWidth.path, value: "\(rows)",
                                           allowed: "a width whose weight matrix (\(rows) × \(cols)) has fewer than 2⁶³ elements")
        }
        var values = [Float](repeating: 0, count: count)
        CounterRNG.fillGaussian(&values, sigma: Float(sigma), seed: seed, purpose: .encoderInit, item: item)
        return try Matrix(rows: rows, cols: cols, storage: values)
    }

    /// Copies `first` then `second` (if any) into `flat`, resized if needed. Allocation-free
    /// once `flat` has the right length (a training step calls it with the gradient buffer).
    static func pack(_ first: Matrix<Float>, _ second: Matrix<Float>? = nil, into flat: inout [Float]) {
        let total = first.storage.count + (second?.storage.count ?? 0)
        if flat.count != total { flat = [Float](repeating: 0, count: total) }
        copy(first, into: &flat, at: 0)
        if let second { copy(second, into: &flat, at: first.storage.count) }
    }

    private static func copy(_ m: Matrix<Float>, into flat: inout [Float], at offset: Int) {
        flat.withUnsafeMutableBufferPointer { dst in
            m.storage.withUnsafeBufferPointer { src in
                if src.count > 0 { (dst.baseAddress! + offset).update(from: src.baseAddress!, count: src.count) }
            }
        }
    }

    /// Copies `matrix.storage.count` values of `flat` starting at `offset` into `matrix`.
    static func unpack(_ flat: [Float], into matrix: inout Matrix<Float>, offset: Int) {
        let n = matrix.storage.count
        flat.withUnsafeBufferPointer { src in
            matrix.storage.withUnsafeMutableBufferPointer { dst in
                if n > 0 { dst.baseAddress!.update(from: src.baseAddress! + offset, count: n) }
            }
        }
    }

    static func zero(_ m: inout Matrix<Float>) {
        m.storage.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
    }

    /// The InfoMax loss for these options; `width` is m, for the paper's 1/m scale.
    static func contrastiveLoss(_ c: LossConfig, width: Int, labelledByDefault: Bool) -> ContrastiveLoss {
        let objective: ContrastiveObjective
        switch c.kind {
        case .infonce: objective = .infoNCE
        case .positiveOnly: objective = .positiveOnly
        case .spectral: objective = .spectral
        }
        return ContrastiveLoss(objective: objective, similarity: c.similarity,
                               scale: c.scale > 0 ? c.scale : 1 / Double(max(width, 1)),
                               temperature: c.temperature, negatives: c.negatives.negativeSet(labelledByDefault: labelledByDefault),
                               stopGradient: c.stopGradient)
    }
}

/// Which contrastive loss a problem's step evaluates, and where its candidate gradient goes.
enum LossForm {
    /// ½ [L(A = h, Pos = g, C = g) + L(A = g, Pos = h, C = h)] (multi-modal, both directions).
    case symmetric
    /// L(A = h, Pos = g, C = g): the candidates are the second embedding.
    case candidatesSecond
    /// L(A = h, Pos = g, C = h): the candidates are the first embedding (Huang's single-modal).
    case candidatesFirst
}

/// One step's distributed loss with its results kept between steps: after the first step
/// with a given shape it allocates nothing. After `evaluate`, `dFirst` and `dSecond` are
/// ∂L/∂h and ∂L/∂g of this rank's rows.
struct LossStep {
    let loss: DistributedContrastiveLoss<Float>
    let form: LossForm
    private var pair = ContrastiveResult<Float>()
    private var both = SymmetricContrastiveResult<Float>()

    /// The loss of `options` over `comm`'s ranks (`width` sets the paper's 1/m scale).
    init(_ options: LossConfig, width: Int, labelledByDefault: Bool, form: LossForm, comm: Communicator) throws {
        loss = try DistributedContrastiveLoss<Float>(
            communicator: comm, loss: ProblemSupport.contrastiveLoss(options, width: width, labelledByDefault: labelledByDefault),
            exchange: options.exchange)
        self.form = form
    }

    /// Evaluates the global loss of embeddings h and g (this rank's rows); books its time and bytes.
    mutating func evaluate(_ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
                           clock: inout StepClock) throws -> Float {
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

/// The encoder half of every problem's training step: h = first(x), g = second(x̃) (or
/// first(x̃) when one encoder sees both views, single-modal), the distributed loss, and the
/// encoders' weight gradients handed to the gradient exchange in parameter order. Its
/// embeddings, caches and gradients are reused: no allocation after the first step.
struct ViewPairStep<E: Encoder> where E.Scalar == Float {
    private var h = Matrix<Float>(rows: 0, cols: 0), g = Matrix<Float>(rows: 0, cols: 0)
    private var cacheFirst = EncoderCache<Float>(), cacheSecond = EncoderCache<Float>()
    private var gradFirst: Matrix<Float>, gradSecond: Matrix<Float>

    /// `first`, `second`: the encoders (`second` nil when `first` encodes both views).
    init(first: E, second: E?) {
        gradFirst = first.zeroGradient()
        gradSecond = second?.zeroGradient() ?? Matrix(rows: 0, cols: 0)
    }

    /// Encodes the views `x` and `xSecond`, evaluates `loss` (labels: the samples' classes, if
    /// any) and hands the gradient of the global loss to `gradient`, one encoder at a time:
    /// the first encoder's all-reduce runs while the second's backward pass computes. Books
    /// forward, loss and backward time. Returns the global loss.
    mutating func lossAndGradient<L: StepLoss>(first: E, second: E?, x: Matrix<Float>, xSecond: Matrix<Float>, labels: [Int]?,
                                  loss: inout L, gradient: GradientExchange, timing: inout StepTiming,
                                  clock: inout StepClock) throws -> Double {
        try first.forward(x, into: &h, cache: &cacheFirst)
        try (second ?? first).forward(xSecond, into: &g, cache: &cacheSecond)
        timing.seconds.forward += clock.lap()
        let value = try loss.evaluate(h, g, labels: labels, timing: &timing, clock: &clock)
        let dH = loss.dFirst, dG = loss.dSecond
        ProblemSupport.zero(&gradFirst)
        try first.backward(x, outputGradient: dH, cache: &cacheFirst, accumulatingInto: &gradFirst)
        if let second {
            try gradFirst.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
            ProblemSupport.zero(&gradSecond)
            try second.backward(xSecond, outputGradient: dG, cache: &cacheSecond, accumulatingInto: &gradSecond)
            try gradSecond.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
        } else {
            try first.backward(xSecond, outputGradient: dG, cache: &cacheSecond, accumulatingInto: &gradFirst)
            try gradFirst.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
        }
        timing.seconds.backward += clock.lap()
        return Double(value)
    }
}

/// Wall-clock laps.
struct StepClock {
    let comm: Communicator
    var last: Double
    init(_ comm: Communicator) { self.comm = comm; last = comm.wtime() }
    mutating func lap() -> Double { let now = comm.wtime(); defer { last = now }; return now - last }
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

/// Builds the problem a config describes, for one modality.
/// `guide`: the image encoder of a multi-modal co-occurrence run trained before (compare mode),
/// for a single-modal guided run; without it such a run trains its own guide first.
public func makeProblem(config: TrainConfig, mode: ModalityMode, comm: Communicator, guide: GuideEncoder? = nil) throws -> ContrastiveProblem {
    precondition(mode != .compare)
    let multi = mode == .multiModal
    // A size whose buffers overflow a 64-bit byte count (d·2, width·d, ...) is refused here,
    // naming its key, before any arithmetic on it can trap.
    let estimate = MemoryEstimate(config: config, ranks: comm.size, rank: comm.rank)
    if let part = estimate.components.first(where: { $0.bytes == .overflow }) {
        let (key, value) = MemoryEstimate.drivingKey(of: part, in: config)
        throw ConfigError.invalidValue(key: key, value: value,
                                       allowed: "a size whose \(part.name) fit in a 64-bit byte count (it overflows); see `infomax train --dry-run`")
    }
    switch config.model {
    case .signalNoise: return try SignalNoiseProblem(config: config, multiModal: multi, comm: comm)
    case .latentLinear: return try LatentLinearProblem(config: config, multiModal: multi, comm: comm)
    case .cooccurrence: return try CooccurrenceProblem(config: config, multiModal: multi, comm: comm, guide: guide)
    }
}
