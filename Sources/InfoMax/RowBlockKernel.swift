// InfoMax/RowBlockKernel.swift — the numerical core shared by every rank count: for a block
// of anchor rows against all N candidates, the logits (in row chunks, never more than
// `blockElements` at once), row log-sum-exps, the loss share, and the gradients with
// respect to the (normalised) anchors, positives and candidates, all through gemm.
import Linalg

/// Number of (i, j) pairs with j ∈ Neg(i) over a global batch of `count` samples.
func negativePairCount(_ negatives: NegativeSet, labels: [Int]?, count: Int) -> Int {
    switch negatives {
    case .allOthers:
        return count * (count - 1)
    case .oppositeLabel:
        guard let labels else { return 0 }
        var histogram: [Int: Int] = [:]
        for y in labels { histogram[y, default: 0] += 1 }
        return histogram.values.reduce(0) { $0 + $1 * (count - $1) }
    }
}

/// max of `n` values (−∞ if empty), with four independent accumulators so the loop pipelines.
@inline(__always)
func rowMaximum<T: BLASScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
    var m0 = -T.infinity, m1 = -T.infinity, m2 = -T.infinity, m3 = -T.infinity
    var j = 0
    while j + 4 <= n {
        m0 = p[j] > m0 ? p[j] : m0
        m1 = p[j + 1] > m1 ? p[j + 1] : m1
        m2 = p[j + 2] > m2 ? p[j + 2] : m2
        m3 = p[j + 3] > m3 ? p[j + 3] : m3
        j += 4
    }
    while j < n { m0 = p[j] > m0 ? p[j] : m0; j += 1 }
    return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
}

/// Evaluates `loss` for local anchor rows (global indices `offset ..< offset + b`).
///
/// - Parameters:
///   - aHat, pHat: the local anchors and positives (already normalised for `.cosine`), b × k.
///   - cHat: all N candidates (normalised), N × k row-major, row-aligned with the global anchors.
///   - labels: the N global labels (used by `.oppositeLabel`).
///   - globalCount: B, the number of global anchors (the loss is a mean over them).
///   - pairCount: Σ_i |Neg(i)| over the global batch (the spectral normaliser).
///   - logits: scratch, grown to at most `blockElements` (or one row of N).
///   - dA, dP: overwritten with ∂L/∂â, ∂L/∂p̂ (b × k).
///   - dC: if non-nil, ∂L/∂ĉ (N × k) is ADDED to it.
/// - Returns: this block's share of the loss (the global loss is the sum over blocks).
@_specialize(where T == Float)
@_specialize(where T == Double)
func contrastiveRowBlock<T: BLASScalar>(_ loss: ContrastiveLoss, aHat: Matrix<T>, pHat: Matrix<T>,
                                        cHat: UnsafeBufferPointer<T>, labels: [Int]?, offset: Int,
                                        globalCount B: Int, pairCount: Int, blockElements: Int,
                                        logits: inout [T], dA: inout Matrix<T>, dP: inout Matrix<T>,
                                        dC: UnsafeMutableBufferPointer<T>?) -> Double {
    let b = aHat.rows, k = aHat.cols
    let N = k > 0 ? cHat.count / k : 0
    dA.reshape(rows: b, cols: k)
    dP.reshape(rows: b, cols: k)
    for i in dA.storage.indices { dA.storage[i] = 0 }
    guard b > 0, k > 0, B > 0 else {
        for i in dP.storage.indices { dP.storage[i] = 0 }
        return 0
    }
    let g = T(loss.scale / loss.temperature)
    let invB = 1 / T(B)
    let objective = loss.objective
    let useLabels = loss.negatives == .oppositeLabel
    let invPairs = pairCount > 0 ? 1 / Double(pairCount) : 0
    let rowsPerBlock = Swift.max(1, Swift.min(b, blockElements / Swift.max(N, 1)))
    if objective != .positiveOnly && logits.count < rowsPerBlock * N {
        logits = [T](repeating: 0, count: rowsPerBlock * N)
    }
    let noLabels: [Int] = []
    let labs = labels ?? noLabels
    var total: Double = 0

    aHat.storage.withUnsafeBufferPointer { pa in
    pHat.storage.withUnsafeBufferPointer { pp in
    dA.storage.withUnsafeMutableBufferPointer { pdA in
    dP.storage.withUnsafeMutableBufferPointer { pdP in
    logits.withUnsafeMutableBufferPointer { pl in
    labs.withUnsafeBufferPointer { py in
        let a = pa.baseAddress!, p = pp.baseAddress!
        // ∂L/∂ℓ(a_i, pos_i) → dâ_i += g·dl·p̂_i, dp̂_i = g·dl·â_i.
        func positiveGradient(_ i: Int, _ dl: T) {
            for t in 0..<k {
                pdA[i * k + t] += g * dl * pp[i * k + t]
                pdP[i * k + t] = g * dl * pa[i * k + t]
            }
        }
        if objective == .positiveOnly {
            for i in 0..<b {
                let lp = g * T.dot(n: k, x: a + i * k, y: p + i * k)
                total -= Double(lp)
                positiveGradient(i, -invB)
            }
            return
        }
        let c = cHat.baseAddress!
        let w = pl.baseAddress!
        var i0 = 0
        while i0 < b {
            let rr = Swift.min(rowsPerBlock, b - i0)
            T.gemm(.none, .transpose, m: rr, n: N, k: k, alpha: g, a: a + i0 * k, lda: k, b: c, ldb: k,
                   beta: 0, c: w, ldc: Swift.max(N, 1))
            for ii in 0..<rr {
                let i = i0 + ii, gi = offset + i
                let row = w + ii * N
                let lp = g * T.dot(n: k, x: a + i * k, y: p + i * k)
                let yi = useLabels ? py[gi] : 0
                switch objective {
                case .infoNCE:
                    // Masked candidates become −∞ (weight exactly 0); then max, exp-sum and
                    // scaling are branch-free passes over the row.
                    if useLabels {
                        for j in 0..<N where py[j] == yi { row[j] = -.infinity }
                    } else if gi < N {
                        row[gi] = -.infinity
                    }
                    let mx = Swift.max(lp, rowMaximum(row, N))
                    var sum = T.exp(lp - mx)
                    for j in 0..<N { let e = T.exp(row[j] - mx); row[j] = e; sum += e }
                    let lse = mx + T.log(sum)
                    total += Double(lse - lp)
                    let f = invB / sum
                    for j in 0..<N { row[j] *= f }
                    positiveGradient(i, (T.exp(lp - lse) - 1) * invB)
                case .spectral:
                    if useLabels {
                        for j in 0..<N where py[j] == yi { row[j] = 0 }
                    } else if gi < N {
                        row[gi] = 0
                    }
                    total -= 2 * Double(lp) / Double(B)
                    var acc: T = 0
                    let twoOverPairs = T(2 * invPairs)
                    for j in 0..<N { let l = row[j]; acc += l * l; row[j] = twoOverPairs * l }
                    total += Double(acc) * invPairs
                    positiveGradient(i, -2 * invB)
                case .positiveOnly:
                    break
                }
            }
            // dÂ_block += g · W Ĉ ; dĈ += g · Wᵀ Â_block.
            T.gemm(.none, .none, m: rr, n: k, k: N, alpha: g, a: w, lda: Swift.max(N, 1), b: c, ldb: k,
                   beta: 1, c: pdA.baseAddress! + i0 * k, ldc: k)
            if let dC, N > 0 {
                T.gemm(.transpose, .none, m: N, n: k, k: rr, alpha: g, a: w, lda: N, b: a + i0 * k, ldb: k,
                       beta: 1, c: dC.baseAddress!, ldc: k)
            }
            i0 += rr
        }
    }}}}}}
    return total / (objective == .spectral ? 1 : Double(B))
}
