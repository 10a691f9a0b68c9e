// Evaluation/Diagnostics.swift — what the papers measure along a trajectory: signal learning
// and noise memorization (Huang et al.), the condition number of the learned representation
// of the latent (Ren & Li), and the alignment of learned features with the exact top-k
// singular subspace of the normalised co-occurrence matrix (Zhang et al.).
import Linalg

public enum Diagnostics {
    /// Signal learning max_r ⟨w_r, μ⟩ for weights W (m × d) and signal μ (d).
    public static func signalLearning(weights: Matrix<Float>, signal: [Float]) throws -> Double {
        guard weights.cols == signal.count else {
            throw LinalgError.shapeMismatch("signal learning: weights have \(weights.cols) columns, μ has \(signal.count)")
        }
        let mu = try Matrix(rows: signal.count, cols: 1, storage: signal)
        let proj = matmul(weights, .none, mu)
        return Double(proj.storage.max() ?? .nan)
    }

    /// Σ_i max_r ⟨w_r, ξ_i⟩ over the rows ξ_i of `noise` (b × d), and the row count: the
    /// local part of noise memorization; all-reduce both and divide for the mean over samples.
    public static func noiseMemorizationSum(weights: Matrix<Float>, noise: Matrix<Float>) throws -> (sum: Double, count: Int) {
        let m = try noiseMemorizationMoments(weights: weights, noise: noise)
        return (m.sum, m.count)
    }

    /// Σ_i x_i, Σ_i x_i² and the count for x_i = max_r ⟨w_r, ξ_i⟩ over the rows of `noise`: the
    /// local part of the mean and of its standard error (all-reduce the three, then
    /// `SampleMean(sum:sumOfSquares:count:)`).
    public static func noiseMemorizationMoments(weights: Matrix<Float>, noise: Matrix<Float>) throws
        -> (sum: Double, sumOfSquares: Double, count: Int) {
        guard weights.cols == noise.cols else {
            throw LinalgError.shapeMismatch("noise memorization: weights have \(weights.cols) columns, noise rows \(noise.cols)")
        }
        guard noise.rows > 0 else { return (0, 0, 0) }
        let proj = matmul(noise, .none, weights, .transpose)   // b × m
        var sum = 0.0, squares = 0.0
        for x in proj.rowMax() { sum += Double(x); squares += Double(x) * Double(x) }
        return (sum, squares, noise.rows)
    }

    /// Condition number of the learned representation's covariance over the latent:
    /// the representation of z is M z with M = W·A (k × r); with Cov z = diag(λ) its covariance
    /// is M diag(λ) Mᵀ, whose condition number on its rank-r range is (σ₁/σ_r)² of M diag(√λ).
    public static func representationConditionNumber(encoder w: Matrix<Float>, mixing a: Matrix<Float>, spectrum: [Float]) throws -> Double {
        guard w.cols == a.rows, a.cols == spectrum.count else {
            throw LinalgError.shapeMismatch("condition number: W is \(w.rows)×\(w.cols), A is \(a.rows)×\(a.cols), λ has \(spectrum.count)")
        }
        var m = matmul(w.converted(to: Double.self), .none, a.converted(to: Double.self))
        for i in 0..<m.rows { for j in 0..<m.cols { m[i, j] *= Double(spectrum[j]).squareRoot() } }
        let s = try singularValues(m)
        guard let hi = s.first, let lo = s.last else { return .nan }
        return lo > 0 ? (hi / lo) * (hi / lo) : .infinity
    }

    /// Alignment in [0, 1] of features F (tokens × k) with an orthonormal reference basis U
    /// (tokens × k'): ‖Uᵀ Q‖²_F / min(k, k'), Q an orthonormal basis of diag(√p)·F, where p
    /// weights the tokens (their marginal probabilities; pass nil for uniform). 1 = same subspace.
    public static func subspaceAlignment(features f: Matrix<Float>, reference u: Matrix<Double>, tokenWeights p: [Double]?) throws -> Double {
        guard f.rows == u.rows else {
            throw LinalgError.shapeMismatch("alignment: features have \(f.rows) rows, reference \(u.rows)")
        }
        var g = f.converted(to: Double.self)
        if let p {
            for i in 0..<g.rows { let s = p[i].squareRoot(); for j in 0..<g.cols { g[i, j] *= s } }
        }
        let (q, s, _) = try svd(g)
        // Keep the directions F actually spans.
        let rank = s.filter { $0 > (s.first ?? 0) * 1e-6 }.count
        guard rank > 0 else { return 0 }
        let qr = Matrix<Double>(rows: q.rows, cols: rank) { q[$0, $1] }
        let overlap = matmul(u, .transpose, qr)
        let fro2 = overlap.storage.reduce(0) { $0 + $1 * $1 }
        return fro2 / Double(min(rank, u.cols))
    }
}
