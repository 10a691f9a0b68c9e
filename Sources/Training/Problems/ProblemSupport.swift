// Training/Problems/ProblemSupport.swift — helpers every problem shares: Gaussian weight
// initialisation from the counter-based RNG, packing encoder matrices into the fused flat
// vector and back, and the loss options from the config.
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
            throw ConfigError.invalidValue(
                key: ConfigKey.encoderWidth.path, value: "\(rows)",
                allowed: "a width whose weight matrix (\(rows) × \(cols)) has fewer than 2⁶³ elements")
        }
        var values = [Float](repeating: 0, count: count)
        CounterRNG.fillGaussian(&values, sigma: Float(sigma), seed: seed, purpose: .encoderInit, item: item)
        return try Matrix(rows: rows, cols: cols, storage: values)
    }

    /// Copies `first` then `second` (if any) into `flat`, resized if needed. Allocation-free
    /// once `flat` has the right length (a training step calls it with the gradient buffer).
    /// `extra`: parameters that follow the encoders' (the loss's), written by the caller.
    static func pack(_ first: Matrix<Float>, _ second: Matrix<Float>? = nil, extra: Int = 0, into flat: inout [Float]) {
        let total = first.storage.count + (second?.storage.count ?? 0) + extra
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
        case .sigmoid: objective = .sigmoid
        }
        var loss = ContrastiveLoss(
            objective: objective, similarity: c.similarity,
            scale: c.scale > 0 ? c.scale : 1 / Double(max(width, 1)),
            temperature: c.temperature, negatives: c.negatives.negativeSet(labelledByDefault: labelledByDefault),
            stopGradient: c.stopGradient)
        if c.kind == .sigmoid {
            // SigLIP's scale t is 1/τ of the logits; loss.temperature is not used.
            loss.temperature = 1 / c.sigmoidScale
            loss.bias = c.sigmoidBias
        }
        return loss
    }
}
