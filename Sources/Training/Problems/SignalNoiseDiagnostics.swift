// Training/Problems/SignalNoiseDiagnostics.swift — the signal-noise problem's diagnostics row:
// Huang et al.'s signal learning and noise memorization (the coefficients γ, ρ of w(t) − w(0)
// over μ and the noises, SignalNoiseDecomposition) and the raw inner products ⟨w_r, μ⟩,
// ⟨w_r, ξ_i⟩, over the fixed evaluation subset of the training set.
import Evaluation
import Linalg
import MPI
import RunRecords
import Synthetic

/// The state the diagnostics keep across a run: the initial weights W(0) (the encoders' seeded
/// initialization, so a resumed run that rebuilds its problem from the config has them too) and,
/// on rank 0, the factored Gram systems, built at the first logged row.
final class SignalNoiseDiagnostics {
    let subset: EvaluationSubset
    let initialImage: Matrix<Float>
    let initialText: Matrix<Float>?
    private var imageDecomposition: SignalNoiseDecomposition?
    private var textDecomposition: SignalNoiseDecomposition?

    init(config: TrainConfig, initialImage: Matrix<Float>, initialText: Matrix<Float>?) {
        subset = EvaluationSubset(
            population: config.trainSamples, requested: config.diagnosticsSamples,
            seed: config.seed)
        self.initialImage = initialImage
        self.initialText = initialText
    }

    /// Fills the row's signal / noise columns for the current weights; collective (every rank).
    /// γ, ρ: rank 0 solves over the whole subset (all n samples when n ≤ diagnostics_samples or
    /// it is 0) and broadcasts, so the values do not depend on the rank count. Raw inner products:
    /// each rank its contiguous part of the subset's positions, in chunks, all-reduced.
    func record(
        into row: inout MetricsRow, data: SignalNoise, image: Matrix<Float>, text: Matrix<Float>?,
        comm: Communicator
    ) throws {
        row[.signalInnerProduct] = try Diagnostics.signalInnerProduct(weights: image, signal: data.imageSignal)
        if let text {
            row[.textSignalInnerProduct] = try Diagnostics.signalInnerProduct(weights: text, signal: data.textSignal)
        }
        let mine = subset.positions(rank: comm.rank, size: comm.size)
        var sum = 0.0
        var noise = Matrix<Float>(rows: 0, cols: 0)
        var indices: [Int] = []
        for lo in stride(from: mine.lowerBound, to: mine.upperBound, by: 4096) {
            subset.indices(lo..<min(lo + 4096, mine.upperBound), into: &indices)
            try data.fillImageNoise(indices, into: &noise)
            sum += try Diagnostics.noiseInnerProductMoments(weights: image, noise: noise).sum
        }
        // Rank 0's coefficients: [γ, Σρ, Σρ², γ̃, Σρ̃, Σρ̃²] (text entries NaN single-modal).
        var coefficients = [Double](repeating: .nan, count: 6)
        if comm.isRoot {
            let a = try imageCoefficients(data: data, image: image)
            coefficients[0] = a.signal
            coefficients[1] = a.noiseSum
            coefficients[2] = a.noiseSumOfSquares
            if let text {
                let b = try textCoefficients(data: data, text: text)
                coefficients[3] = b.signal
                coefficients[4] = b.noiseSum
                coefficients[5] = b.noiseSumOfSquares
            }
        }
        try comm.bcast(&coefficients)
        let total = try comm.allreduce([sum], op: .sum)
        let k = subset.size
        let n = subset.population
        row[.noiseInnerProduct] = total[0] / Double(k)
        let rho = SampleMean(sum: coefficients[1], sumOfSquares: coefficients[2], count: k, population: n)
        row[.signalLearning] = coefficients[0]
        row[.noiseMemorization] = rho.mean
        row[.noiseMemorizationSE] = rho.standardError
        if text != nil {
            row[.textSignalLearning] = coefficients[3]
            row[.textNoiseMemorization] =
                SampleMean(
                    sum: coefficients[4], sumOfSquares: coefficients[5], count: k,
                    population: n
                ).mean
        }
        row[.diagnosticsSamples] = Double(k)
    }

    private func imageCoefficients(data: SignalNoise, image: Matrix<Float>) throws
        -> (signal: Double, noiseSum: Double, noiseSumOfSquares: Double)
    {
        if imageDecomposition == nil {
            imageDecomposition = try decomposition(signal: data.imageSignal) { try data.fillImageNoise($0, into: &$1) }
        }
        return try imageDecomposition!.evaluate(weights: image, initial: initialImage)
    }

    private func textCoefficients(data: SignalNoise, text: Matrix<Float>) throws
        -> (signal: Double, noiseSum: Double, noiseSumOfSquares: Double)
    {
        guard let initialText else {
            throw LinalgError.shapeMismatch("text diagnostics without the text encoder's W(0)")
        }
        if textDecomposition == nil {
            textDecomposition = try decomposition(signal: data.textSignal) { try data.fillTextNoise($0, into: &$1) }
        }
        return try textDecomposition!.evaluate(weights: text, initial: initialText)
    }

    /// The decomposition over `signal` and the noises of the whole subset, in position order.
    private func decomposition(signal: [Float], fill: ([Int], inout Matrix<Float>) throws -> Void) throws
        -> SignalNoiseDecomposition
    {
        var indices: [Int] = []
        subset.indices(0..<subset.size, into: &indices)
        var noise = Matrix<Float>(rows: 0, cols: 0)
        try fill(indices, &noise)
        return try SignalNoiseDecomposition(signal: signal, noise: noise)
    }
}
