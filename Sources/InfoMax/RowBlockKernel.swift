// InfoMax/RowBlockKernel.swift — the numerical core of the one-direction plans: anchor rows
// against candidates (all N for the all-gather exchange, one ring chunk at a time for the ring)
// in row blocks of logits: the row log-sum-exps, the loss share and the gradients through gemm;
// and the ring's grouping by label. Nothing here allocates once its scratch has its size.
import Linalg

/// Number of (i, j) pairs with j ∈ Neg(i): N(N−1) for `.allOthers`, N² − Σ_y n_y² for
/// `.oppositeLabel` (n_y: the samples of label y), counted on a sorted copy in `scratch`.
func negativePairCount(_ negatives: NegativeSet, labels: [Int64]?, count: Int, scratch: inout [Int64]) -> Int {
    guard negatives == .oppositeLabel else { return count * (count - 1) }
    guard let labels else { return 0 }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: labels)
    return scratch.withUnsafeMutableBufferPointer { v in
        v.heapSort(by: <)
        guard let y = v.baseAddress else { return 0 }
        let n = v.count
        return forEachOppositeLabelRange(rowLabels: y, rows: n, columnLabels: y, columns: n) { _, _, _, _ in }
    }
}

/// max of `n` values (−∞ if empty), four accumulators so that the loop pipelines.
@inline(__always)
func rowMaximum<T: BLASScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
    var m0 = -T.infinity
    var m1 = -T.infinity
    var m2 = -T.infinity
    var m3 = -T.infinity
    var j = 0
    while j + 4 <= n {
        m0 = p[j] > m0 ? p[j] : m0
        m1 = p[j + 1] > m1 ? p[j + 1] : m1
        m2 = p[j + 2] > m2 ? p[j + 2] : m2
        m3 = p[j + 3] > m3 ? p[j + 3] : m3
        j += 4
    }
    while j < n {
        m0 = p[j] > m0 ? p[j] : m0
        j += 1
    }
    return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
}

/// ∂L/∂ℓ(a_i, pos_i) = `dl` for row i: dâ_i += g·dl·p̂_i, dp̂_i = g·dl·â_i.
@inline(__always)
func addPositiveGradient<T: BLASScalar>(
    g: T, dl: T, row i: Int, k: Int, a: UnsafePointer<T>, p: UnsafePointer<T>, dA: UnsafeMutablePointer<T>,
    dP: UnsafeMutablePointer<T>
) {
    for t in 0..<k {
        dA[i * k + t] += g * dl * p[i * k + t]
        dP[i * k + t] = g * dl * a[i * k + t]
    }
}

/// The spectral weights of one row of n logits, ℓ → 2ℓ/pairs in place; returns its Σ ℓ²/pairs.
@inline(__always)
func spectralRow<T: BLASScalar>(_ row: UnsafeMutablePointer<T>, _ n: Int, invPairs: Double) -> Double {
    let twoOverPairs = T(2 * invPairs)
    var acc: T = 0
    for j in 0..<n {
        let l = row[j]
        acc += l * l
        row[j] = twoOverPairs * l
    }
    return Double(acc) * invPairs
}

/// dÂ_block += g·W Ĉ and, if `dC` is given, dĈ += g·Wᵀ Â_block, for the rr × n weights W.
@inline(__always)
func addBlockGradients<T: BLASScalar>(
    g: T, weights w: UnsafePointer<T>, rows rr: Int, n: Int, k: Int, candidates c: UnsafePointer<T>,
    anchors a: UnsafePointer<T>, dA: UnsafeMutablePointer<T>, dC: UnsafeMutablePointer<T>?
) {
    T.gemm(.none, .none, m: rr, n: k, k: n, alpha: g, a: w, lda: Swift.max(n, 1), b: c, ldb: k, beta: 1, c: dA, ldc: k)
    if let dC, n > 0 {
        T.gemm(.transpose, .none, m: n, n: k, k: rr, alpha: g, a: w, lda: n, b: a, ldb: k, beta: 1, c: dC, ldc: k)
    }
}

/// `loss` for this rank's anchor rows `f.offset ..< f.offset + f.b` against all N candidates
/// `d.c` (N × k, normalised for `.cosine`, row-aligned with the global anchors), logits in blocks
/// of at most `blockElements`: adds to the zeroed dA, writes dP, adds ∂L/∂ĉ to `dC` when given,
/// and returns this block's share of the loss.
@_specialize(where T == Float)
@_specialize(where T == Double)
func contrastiveRowBlock<T: BLASScalar>(
    _ loss: ContrastiveLoss, _ f: DirectionInputs<T>, _ d: DirectionPointers<T>, blockElements: Int,
    logits: ScratchBuffer<T>, dC: UnsafeMutablePointer<T>?
) -> Double {
    let (b, k, B, a, p) = (f.b, f.k, f.B, d.a, d.p)
    guard b > 0, k > 0, B > 0 else { return 0 }
    let g = T(loss.scale / loss.temperature)
    let invB = 1 / T(B)
    var total: Double = 0
    if loss.objective == .positiveOnly {
        for i in 0..<b {
            total -= Double(g * T.dot(n: k, x: a + i * k, y: p + i * k))
            addPositiveGradient(g: g, dl: -invB, row: i, k: k, a: a, p: p, dA: d.dA, dP: d.dP)
        }
        return total / Double(B)
    }
    let spectral = loss.objective == .spectral  // else InfoNCE (sigmoid: SigmoidLossMath's kernels)
    let N = d.c.count / k
    let invPairs = f.pairs > 0 ? 1 / Double(f.pairs) : 0
    let rowsPerBlock = Swift.max(1, Swift.min(b, blockElements / Swift.max(N, 1)))
    let w = logits.atLeast(rowsPerBlock * N)
    let c = d.c.baseAddress!
    for i0 in stride(from: 0, to: b, by: rowsPerBlock) {
        let rr = Swift.min(rowsPerBlock, b - i0)
        // Masked candidates become −∞ for InfoNCE (weight exactly 0; then max, exp-sum and
        // scaling are branch-free passes over the row) and 0 for spectral.
        maskedChunkLogits(
            g: g, a: a, k: k, i0: i0, rr: rr, chunk: c, n: N, anchorOffset: f.offset, chunkOffset: 0,
            labels: d.labels, masked: spectral ? 0 : -.infinity, into: w)
        for i in i0..<i0 + rr {
            let row = w + (i - i0) * N
            let lp = g * T.dot(n: k, x: a + i * k, y: p + i * k)
            let dl: T
            if spectral {
                total -= 2 * Double(lp) / Double(B)
                total += spectralRow(row, N, invPairs: invPairs)
                dl = -2 * invB
            } else {
                let mx = Swift.max(lp, rowMaximum(row, N))
                let sum = T.exp(lp - mx) + T.expShifted(row, count: N, shift: mx, scale: 1, store: true)
                let lse = mx + T.log(sum)
                total += Double(lse - lp)
                let f = invB / sum
                for j in 0..<N { row[j] *= f }
                dl = (T.exp(lp - lse) - 1) * invB
            }
            addPositiveGradient(g: g, dl: dl, row: i, k: k, a: a, p: p, dA: d.dA, dP: d.dP)
        }
        addBlockGradients(
            g: g, weights: w, rows: rr, n: N, k: k, candidates: c, anchors: a + i0 * k, dA: d.dA + i0 * k, dC: dC)
    }
    return total / (spectral ? 1 : Double(B))
}

/// The logits g·Â[i0 ..< i0+rr] Ĉ_chunkᵀ (rr × n) into `w`, every non-negative pair set to
/// `masked` (−∞ for InfoNCE, 0 for spectral). Anchor row i has global index
/// `anchorOffset + i`; chunk row j has global index `chunkOffset + j`.
@inline(__always)
func maskedChunkLogits<T: BLASScalar>(
    g: T, a: UnsafePointer<T>, k: Int, i0: Int, rr: Int, chunk: UnsafePointer<T>, n: Int,
    anchorOffset: Int, chunkOffset: Int, labels: UnsafeBufferPointer<Int64>?, masked: T, into w: UnsafeMutablePointer<T>
) {
    T.gemm(
        .none, .transpose, m: rr, n: n, k: k, alpha: g, a: a + i0 * k, lda: k, b: chunk, ldb: k, beta: 0, c: w, ldc: n)
    for ii in 0..<rr {
        let gi = anchorOffset + i0 + ii
        let row = w + ii * n
        if let labels {
            let yi = labels[gi]
            for j in 0..<n where labels[chunkOffset + j] == yi { row[j] = masked }
        } else {
            let j = gi - chunkOffset
            if j >= 0 && j < n { row[j] = masked }
        }
    }
}

/// The positive logits ℓ(a_i, pos_i) = g⟨â_i, p̂_i⟩ of the b local rows into `lp`.
func positiveLogits<T: BLASScalar>(
    g: T, a: UnsafePointer<T>, p: UnsafePointer<T>, b: Int, k: Int, into lp: UnsafeMutablePointer<T>
) {
    for i in 0..<b { lp[i] = g * T.dot(n: k, x: a + i * k, y: p + i * k) }
}

/// One of the ring's passes over one chunk, in row blocks. Pass 1 (InfoNCE, `gradient` false):
/// the online log-sum-exp, folding the logits into the running row maxima `rowMax` and sums
/// `rowSum` = Σ e^{ℓ − rowMax}. Pass 2: the weights ∂L/∂ℓ_ij (InfoNCE: e^{ℓ_ij − lse_i}/B, the
/// final lse in `rowMax`; spectral: 2ℓ_ij/pairs), then ``addBlockGradients``. `between` runs
/// after every row block (MPI progresses the ring there). Returns spectral's Σ ℓ²/pairs, else 0.
@_specialize(where T == Float)
@_specialize(where T == Double)
func ringChunkPass<T: BLASScalar>(
    gradient: Bool, _ loss: ContrastiveLoss, _ f: DirectionInputs<T>, a: UnsafePointer<T>, rows b: Int,
    chunk: UnsafePointer<T>, n: Int, anchorOffset: Int, chunkOffset: Int, labels: UnsafeBufferPointer<Int64>?,
    rowsPerBlock: Int, logits: UnsafeMutablePointer<T>, rowMax: UnsafeMutablePointer<T>,
    rowSum: UnsafeMutablePointer<T>, dA: UnsafeMutablePointer<T>, dC: UnsafeMutablePointer<T>?,
    between: () throws -> Void
) rethrows -> Double {
    let k = f.k
    guard b > 0, n > 0, k > 0 else { return 0 }
    let g = T(loss.scale / loss.temperature)
    let invB = 1 / T(f.B)
    let invPairs = f.pairs > 0 ? 1 / Double(f.pairs) : 0
    let spectral = loss.objective == .spectral
    var total: Double = 0
    for i0 in stride(from: 0, to: b, by: rowsPerBlock) {
        let rr = Swift.min(rowsPerBlock, b - i0)
        maskedChunkLogits(
            g: g, a: a, k: k, i0: i0, rr: rr, chunk: chunk, n: n, anchorOffset: anchorOffset,
            chunkOffset: chunkOffset, labels: labels, masked: spectral ? 0 : -.infinity, into: logits)
        for i in i0..<i0 + rr {
            let row = logits + (i - i0) * n
            if spectral {
                total += spectralRow(row, n, invPairs: invPairs)
            } else if gradient {
                _ = T.expShifted(row, count: n, shift: rowMax[i], scale: invB, store: true)
            } else {
                let cm = rowMaximum(row, n)
                if cm > rowMax[i] {
                    rowSum[i] *= T.exp(rowMax[i] - cm)
                    rowMax[i] = cm
                }
                rowSum[i] += T.expShifted(row, count: n, shift: rowMax[i], scale: 1, store: false)
            }
        }
        if gradient {
            addBlockGradients(
                g: g, weights: logits, rows: rr, n: n, k: k, candidates: chunk, anchors: a + i0 * k,
                dA: dA + i0 * k, dC: dC)
        }
        try between()
    }
    return total
}

// MARK: - Grouping by label (the ring's opposite-label negatives)

/// Row q of `dst` ← row order[q] of `src`, for q in 0 ..< rows (rows of k scalars).
@inline(__always)
func gatherRows<T>(
    _ src: UnsafePointer<T>, order: UnsafePointer<Int>, rows: Int, k: Int, into dst: UnsafeMutablePointer<T>
) {
    for q in 0..<rows { (dst + q * k).update(from: src + order[q] * k, count: k) }
}

/// Row order[q] of `dst` += row q of `src`, for q in 0 ..< rows (rows of k scalars).
@inline(__always)
func scatterAddRows<T: BLASScalar>(
    _ src: UnsafePointer<T>, order: UnsafePointer<Int>, rows: Int, k: Int, into dst: UnsafeMutablePointer<T>
) {
    for q in 0..<rows {
        let to = dst + order[q] * k
        let from = src + q * k
        for t in 0..<k { to[t] += from[t] }
    }
}

/// The positions [start, end) that hold label `y` among n labels sorted ascending (`sorted(i)`
/// is the i-th): two binary searches.
func sameLabelRange(_ y: Int64, count n: Int, sorted: (Int) -> Int64) -> (start: Int, end: Int) {
    /// The first position whose label is above y (`orEqual`) or not below it.
    func first(orEqual: Bool) -> Int {
        var (lo, hi) = (0, n)
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted(mid) < y || (orEqual && sorted(mid) == y) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
    return (first(orEqual: false), first(orEqual: true))
}

/// For every run of rows [r0, r1) of one label y (`rowLabels`, b, sorted) and each non-empty
/// range [c0, c1) of other labels' columns (`columnLabels`, n, sorted: [0, s_y) and [e_y, n)),
/// `body(r0, r1, c0, c1)`: no same-label pair is ever computed. Returns the pairs handed over.
@discardableResult
func forEachOppositeLabelRange(
    rowLabels: UnsafePointer<Int64>, rows b: Int, columnLabels: UnsafePointer<Int64>, columns n: Int,
    _ body: (_ r0: Int, _ r1: Int, _ c0: Int, _ c1: Int) throws -> Void
) rethrows -> Int {
    var pairs = 0
    var r0 = 0
    while r0 < b {
        let y = rowLabels[r0]
        var r1 = r0 + 1
        while r1 < b && rowLabels[r1] == y { r1 += 1 }
        let (s, e) = sameLabelRange(y, count: n) { columnLabels[$0] }
        if s > 0 {
            try body(r0, r1, 0, s)
            pairs += (r1 - r0) * s
        }
        if e < n {
            try body(r0, r1, e, n)
            pairs += (r1 - r0) * (n - e)
        }
        r0 = r1
    }
    return pairs
}

/// The ring's work on one chunk: ungrouped (`order` nil) `body(0, b, a, 0, n)`; grouped (rows
/// in label order, `order`: sorted position → row of `a`) for every block of ≤ `rowsPerBlock`
/// rows of one label (sorted positions q0 ..< q0 + rr, copied to `scratch`) and each
/// opposite-label column range `body(q0, rr, scratch, c0, c1)`. Returns the pairs handed over.
@discardableResult
func forEachRingBlock<T: BLASScalar>(
    anchors a: UnsafePointer<T>, rows b: Int, k: Int, order: UnsafePointer<Int>?,
    rowLabels: UnsafePointer<Int64>?, columnLabels: UnsafePointer<Int64>?, columns n: Int,
    rowsPerBlock: Int, scratch: UnsafeMutablePointer<T>,
    _ body: (_ q0: Int, _ rr: Int, _ anchors: UnsafePointer<T>, _ c0: Int, _ c1: Int) throws -> Void
) rethrows -> Int {
    guard let order, let rowLabels, let columnLabels else {
        try body(0, b, a, 0, n)
        return b * n
    }
    return try forEachOppositeLabelRange(rowLabels: rowLabels, rows: b, columnLabels: columnLabels, columns: n) {
        r0, r1, c0, c1 in
        var q0 = r0
        while q0 < r1 {
            let rr = Swift.min(rowsPerBlock, r1 - q0)
            gatherRows(a, order: order + q0, rows: rr, k: k, into: scratch)
            try body(q0, rr, UnsafePointer(scratch), c0, c1)
            q0 += rr
        }
    }
}
