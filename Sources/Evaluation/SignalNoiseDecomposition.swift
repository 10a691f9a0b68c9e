// Evaluation/SignalNoiseDecomposition.swift — Huang et al.'s signal learning and noise
// memorization as their paper defines them: the coefficients γ_r, ρ_r,i of the decomposition
// (eq. 11) w_r(t) = w_r(0) + γ_r·μ/‖μ‖² + Σ_i ρ_r,i·ξ_i/‖ξ_i‖², zero at initialization,
// found by projecting Δw_r = w_r(t) − w_r(0) onto the span of {μ, ξ_1, …, ξ_K} (least squares).
import Linalg

/// The least-squares decomposition of an encoder's weight change over a fixed set of vectors
/// v_0 = μ, v_i = ξ_i (i = 1…K, each in R^d, the space a patch lives in): with V the (K+1) × d
/// matrix of the vectors and G = V·Vᵀ their Gram matrix, the coefficients C ((K+1) × m) of
/// ΔWᵀ ≈ Vᵀ·C solve G·C = V·ΔWᵀ; γ_r = C[0, r]·‖μ‖², ρ_r,i = C[i, r]·‖ξ_i‖². Once per run
/// G is Cholesky-factored and the projector P = G⁻¹·V ((K+1) × d, in Double) solved for, in V's
/// place; each evaluation is then C = P·ΔWᵀ, one (K+1) × d × m gemm into buffers kept across
/// calls (rather than a gemm and two O((K+1)²·m) triangular solves).
///
/// When the vectors are linearly dependent (K + 1 > d, or a degenerate draw) the decomposition is
/// not unique and G is singular: the factorization then adds `ridge` = 10⁻¹⁰·mean(diag G) to the
/// diagonal, which selects (approximately) the minimum-norm coefficients — a defined number, but
/// not the paper's quantity, which presumes d ≫ n (keep diagnostics_samples below d).
public struct SignalNoiseDecomposition {
    /// P = G⁻¹·V: ⟨row j, Δw_r⟩ is Δw_r's coefficient of v_j.
    private let projector: Matrix<Double>
    /// ‖v_j‖² per row.
    public let squaredNorms: [Double]
    /// What was added to G's diagonal (0: G itself was positive definite, the solve is exact).
    public let ridge: Double
    private var delta = Matrix<Double>(rows: 0, cols: 0)
    private var coefficients = Matrix<Double>(rows: 0, cols: 0)

    /// Noise vectors K (rows of `noise`).
    public var noiseCount: Int { projector.rows - 1 }

    /// The decomposition over the signal `signal` (d) and the noises, the rows of `noise` (K × d).
    public init(signal: [Float], noise: Matrix<Float>) throws {
        guard noise.cols == signal.count else {
            throw LinalgError.shapeMismatch(
                "decomposition: μ has \(signal.count) entries, the noise rows \(noise.cols)")
        }
        let d = signal.count
        var v = Matrix<Double>(rows: noise.rows + 1, cols: d)
        for j in 0..<d { v.storage[j] = Double(signal[j]) }
        for k in 0..<noise.storage.count { v.storage[d + k] = Double(noise.storage[k]) }
        // The Gram matrix is factored in place, and V overwritten by P: V and one (K+1)² matrix.
        var g = matmul(v, .none, v, .transpose)
        let norms = (0..<v.rows).map { g[$0, $0] }
        squaredNorms = norms
        // L_jj² is the squared distance of v_j from the span of v_0…v_(j−1): a relative one below
        // 10⁻¹⁰ (or a failed factorization) means the vectors are (numerically) dependent.
        let factored = v.rows <= d && (try? choleskyFactor(inPlace: &g)) != nil
        if factored, (0..<g.rows).allSatisfy({ g[$0, $0] * g[$0, $0] > 1e-10 * norms[$0] }) {
            ridge = 0
        } else {
            let r = 1e-10 * norms.reduce(0, +) / Double(v.rows)
            g = matmul(v, .none, v, .transpose)
            for i in 0..<g.rows { g[i, i] += r }
            try choleskyFactor(inPlace: &g)
            ridge = r
        }
        try choleskySolve(factor: g, &v)
        projector = v
    }

    /// For weights W(t) and W(0) (m × d): max_r γ_r, and per noise vector i the value max_r ρ_r,i
    /// summed over i with its sum of squares (for the mean and its standard error).
    public mutating func evaluate(weights w: Matrix<Float>, initial w0: Matrix<Float>) throws
        -> (signal: Double, noiseSum: Double, noiseSumOfSquares: Double)
    {
        let d = projector.cols
        let k = projector.rows
        guard w.rows == w0.rows, w.cols == w0.cols, w.cols == d else {
            throw LinalgError.shapeMismatch(
                "decomposition: W is \(w.rows)×\(w.cols), W(0) \(w0.rows)×\(w0.cols), "
                    + "the vectors have \(d) entries")
        }
        let m = w.rows
        if delta.rows != m || delta.cols != w.cols { delta = Matrix(rows: m, cols: w.cols) }
        if coefficients.rows != k || coefficients.cols != m { coefficients = Matrix(rows: k, cols: m) }
        w.storage.withUnsafeBufferPointer { pw in
            w0.storage.withUnsafeBufferPointer { p0 in
                delta.storage.withUnsafeMutableBufferPointer { pd in
                    for j in 0..<pd.count { pd[j] = Double(pw[j]) - Double(p0[j]) }
                }
            }
        }
        // C ← P·ΔWᵀ = G⁻¹·V·ΔWᵀ ((K+1) × m).
        projector.storage.withUnsafeBufferPointer { pp in
            delta.storage.withUnsafeBufferPointer { pd in
                coefficients.storage.withUnsafeMutableBufferPointer { pc in
                    Double.gemm(
                        .none, .transpose, m: k, n: m, k: d, alpha: 1, a: pp.baseAddress!, lda: d,
                        b: pd.baseAddress!, ldb: d, beta: 0, c: pc.baseAddress!, ldc: m)
                }
            }
        }
        var signal = -Double.infinity
        var sum = 0.0
        var squares = 0.0
        for r in 0..<m { signal = max(signal, coefficients.storage[r] * squaredNorms[0]) }
        for i in 1..<k {
            var best = -Double.infinity
            for r in 0..<m { best = max(best, coefficients.storage[i * m + r] * squaredNorms[i]) }
            sum += best
            squares += best * best
        }
        // + 0 turns a −0 (a zero change) into 0.
        return (m > 0 ? signal + 0 : .nan, sum + 0, squares)
    }
}
