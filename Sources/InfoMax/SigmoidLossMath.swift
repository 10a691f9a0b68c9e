// InfoMax/SigmoidLossMath.swift — the numerical core of SigLIP's sigmoid loss: the stable
// softplus and logistic function, the hand-derived gradients (below), and the blockwise kernel
// of anchor rows against a candidate chunk (loss share, ∂L/∂t, ∂L/∂β, dÂ and dĈ), nothing kept.
import Linalg

/// SigLIP's loss and its gradients.
///
/// Per pair (i, j) with similarity S_ij = s(a_i, c_j) (the positive pair uses pos_i), z_ij = +1
/// for the positive pair and −1 for a negative, scale t > 0 and bias β:
///
///     u_ij = z_ij (t S_ij + β),   L = −(1/B) Σ_(i,j) log σ(u_ij) = (1/B) Σ_(i,j) softplus(−u_ij)
///
/// over the positive pairs and every j ∈ Neg(i) (excluded pairs contribute nothing). With
/// d softplus(x)/dx = σ(x) and du/dS = z t, du/dt = z S, du/dβ = z:
///
///     ∂L/∂S_ij = −(1/B) z_ij t σ(−u_ij)
///     ∂L/∂t    = −(1/B) Σ z_ij S_ij σ(−u_ij)
///     ∂L/∂β    = −(1/B) Σ z_ij σ(−u_ij)
///
/// For a negative (z = −1, v = t S + β): loss term softplus(v), ∂/∂S = t σ(v)/B; for the
/// positive (v = t S + β): softplus(−v), ∂/∂S = −t σ(−v)/B. S = scale·⟨â, ĉ⟩, so dâ_i gets
/// scale · Σ_j ∂L/∂S_ij ĉ_j (one gemm per block) and dĉ_j scale · Σ_i ∂L/∂S_ij â_i.
/// softplus(x) = max(x, 0) + log(1 + e^{−|x|}) and σ(x) from the same e^{−|x|}: one
/// exponential per pair (the rows' vectorised exp), never an overflow. FD-checked in
/// SigmoidLossTests.
enum SigmoidLossMath {
    /// log(1 + eˣ) without overflow.
    @inline(__always)
    static func softplus<T: BLASScalar>(_ x: T) -> T {
        Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
    }

    /// 1 / (1 + e^{−x}) without overflow.
    @inline(__always)
    static func sigmoid<T: BLASScalar>(_ x: T) -> T {
        let e = T.exp(-Swift.abs(x))
        return x >= 0 ? 1 / (1 + e) : e / (1 + e)
    }

    /// One call's sums on this rank (times 1/B at the end): the loss, Σ ∂/∂t and Σ ∂/∂β.
    struct Terms {
        var loss = 0.0, dScale = 0.0, dBias = 0.0
    }

    /// The blockwise kernel of one call: t, β, the similarity's scale, 1/B, the width k, and
    /// scratch for `rowsPerBlock` rows of logits and one row of similarities.
    struct Kernel<T: BLASScalar> {
        let t: T, bias: T, scale: T, invB: T
        let k: Int, rowsPerBlock: Int
        let logits: UnsafeMutablePointer<T>, similarities: UnsafeMutablePointer<T>

        /// The positive pairs of the `b` rows of `d`: adds their terms, dâ_i += scale·w_i p̂_i
        /// and dp̂_i = scale·w_i â_i (w_i = ∂L/∂S_ii; dP overwritten).
        func positives(_ d: DirectionPointers<T>, rows b: Int, terms: inout Terms) {
            let (a, p, dA, dP) = (d.a, d.p, d.dA, d.dP)
            for i in 0..<b {
                let s = scale * T.dot(n: k, x: a + i * k, y: p + i * k)
                let v = t * s + bias
                let sig = sigmoid(-v)
                terms.loss += Double(softplus(-v))
                terms.dScale -= Double(s * sig)
                terms.dBias -= Double(sig)
                let w = -invB * t * sig * scale
                for c in 0..<k {
                    dA[i * k + c] += w * p[i * k + c]
                    dP[i * k + c] = w * a[i * k + c]
                }
            }
        }

        /// The negatives of the `b` anchor rows of `d` (global indices anchorOffset ..< +b)
        /// against a chunk of `n` candidates (global chunkOffset ..< +n), `rowsPerBlock` rows at
        /// a time: adds the terms, dA += scale·W Ĉ and, if given, dC += scale·Wᵀ Â (n × k),
        /// W_ij = ∂L/∂S_ij (0 for excluded pairs: j = i, or the same label). `between` runs
        /// after every row block (the ring lets MPI progress there).
        @_specialize(where T == Float)
        @_specialize(where T == Double)
        func negatives(
            _ d: DirectionPointers<T>, rows b: Int, anchorOffset: Int, chunk: UnsafePointer<T>, n: Int,
            chunkOffset: Int, dC: UnsafeMutablePointer<T>?, terms: inout Terms, between: () throws -> Void
        ) rethrows {
            guard b > 0, n > 0, k > 0 else { return }
            for i0 in stride(from: 0, to: b, by: rowsPerBlock) {
                let rr = Swift.min(rowsPerBlock, b - i0)
                // S = scale·ÂĈᵀ, excluded pairs −∞ (weight and terms 0 below).
                maskedChunkLogits(
                    g: scale, a: d.a, k: k, i0: i0, rr: rr, chunk: chunk, n: n, anchorOffset: anchorOffset,
                    chunkOffset: chunkOffset, labels: d.labels, masked: -.infinity, into: logits)
                var lossSum = 0.0
                var scaleSum = 0.0
                var biasSum = 0.0
                for ii in 0..<rr {
                    let row = logits + ii * n
                    // S into the scratch row, −|v| into the logits row, then e = e^{−|v|}
                    // vectorised (excluded pairs: S = −∞, e = 0).
                    for j in 0..<n {
                        let s = row[j]
                        similarities[j] = s
                        row[j] = -Swift.abs(t * s + bias)
                    }
                    _ = T.expShifted(row, count: n, shift: 0, scale: 1, store: true)
                    var rowLinear: T = 0
                    var rowScale: T = 0
                    var rowBias: T = 0
                    // Σ log(1 + e) as the log of a product in Double, one log per 512 pairs
                    // (each factor is in [1, 2]: no overflow).
                    var product = 1.0
                    var factors = 0
                    var logs = 0.0
                    for j in 0..<n {
                        let s = similarities[j]
                        if s == -.infinity {
                            row[j] = 0
                            continue
                        }
                        let v = t * s + bias
                        let e = row[j]
                        let inverse = 1 / (1 + e)
                        let sig = v >= 0 ? inverse : e * inverse  // σ(v)
                        rowLinear += Swift.max(v, 0)
                        product *= 1 + Double(e)
                        factors += 1
                        if factors == 512 {
                            logs += Double.log(product)
                            product = 1
                            factors = 0
                        }
                        rowScale += s * sig
                        rowBias += sig
                        row[j] = invB * t * sig
                    }
                    lossSum += Double(rowLinear) + logs + Double.log(product)
                    scaleSum += Double(rowScale)
                    biasSum += Double(rowBias)
                }
                terms.loss += lossSum
                terms.dScale += scaleSum
                terms.dBias += biasSum
                T.gemm(
                    .none, .none, m: rr, n: k, k: n, alpha: scale, a: logits, lda: n, b: chunk, ldb: k,
                    beta: 1, c: d.dA + i0 * k, ldc: k)
                if let dC {
                    T.gemm(
                        .transpose, .none, m: n, n: k, k: rr, alpha: scale, a: logits, lda: n, b: d.a + i0 * k,
                        ldb: k, beta: 1, c: dC, ldc: k)
                }
                try between()
            }
        }
    }
}
