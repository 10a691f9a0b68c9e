// Training/Problems/ProblemSupport.swift — pieces every problem shares: Gaussian weight
// initialisation from the counter-based RNG, packing encoder matrices into the fused flat
// vector, the loss options from the config, a lap clock, and the problem factory.
import InfoMax
import Linalg
import MPI
import Synthetic

enum ProblemSupport {
    /// A rows × cols matrix of N(0, σ²) draws keyed by (seed, encoder item): the same on every rank.
    static func gaussianWeights(rows: Int, cols: Int, sigma: Double, seed: UInt64, item: Int) -> Matrix<Float> {
        var values = [Float](repeating: 0, count: rows * cols)
        CounterRNG.fillGaussian(&values, sigma: Float(sigma), seed: seed, purpose: .encoderInit, item: item)
        // swiftlint:disable:next force_try
        return try! Matrix(rows: rows, cols: cols, storage: values)
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
        return ContrastiveLoss(objective: objective, similarity: c.similarity == "cosine" ? .cosine : .dot,
                               scale: c.scale > 0 ? c.scale : 1 / Double(max(width, 1)),
                               temperature: c.temperature, negatives: c.negatives == "all" || (c.negatives == "auto" && !labelledByDefault) ? .allOthers : .oppositeLabel,
                               stopGradient: c.stopGradient)
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
        lossCommunicationSeconds += stats.communicationSeconds
        lossComputeSeconds += wallSeconds - stats.communicationSeconds
        bytesSent += stats.bytesSent
    }
}

/// Builds the problem a config describes, for one modality.
public func makeProblem(config: TrainConfig, mode: ModalityMode, comm: Communicator) throws -> ContrastiveProblem {
    precondition(mode != .compare)
    let multi = mode == .multiModal
    switch config.model {
    case .signalNoise: return try SignalNoiseProblem(config: config, multiModal: multi, comm: comm)
    case .latentLinear: return try LatentLinearProblem(config: config, multiModal: multi, comm: comm)
    case .cooccurrence: return try CooccurrenceProblem(config: config, multiModal: multi, comm: comm)
    }
}
