// InfoMax/FusedSymmetricKernel.swift — the numerical core of the fused symmetric InfoNCE.
// Both directions of the symmetric loss read one similarity matrix S = g·Ĥ Ĝᵀ: direction 1
// (anchors h) takes the row log-sum-exps of S, direction 2 (anchors g) the column ones. For a
// block of anchor rows against a chunk of candidate columns these functions fold the masked
// logits into online row and column (max, sum-exp) statistics (pass 1) and turn the logits
// into the combined softmax weights of both directions (pass 2), so that one logits gemm and
// two gradient gemms serve both directions. Nothing here allocates.
import Linalg

/// Pass 1, rows: folds rr rows of n logits (leading dimension n; masked pairs −∞) into the
/// online row statistics (`rowMax`, `rowSum` = Σ e^{ℓ−rowMax}).
@_specialize(where T == Float)
@_specialize(where T == Double)
func fusedRowStatistics<T: BLASScalar>(
    _ w: UnsafeMutablePointer<T>, rows rr: Int, columns n: Int,
    rowMax: UnsafeMutablePointer<T>, rowSum: UnsafeMutablePointer<T>
) {
    guard rr > 0, n > 0 else { return }
    for ii in 0..<rr {
        let row = w + ii * n
        let cm = rowMaximum(row, n)
        if cm > rowMax[ii] {
            rowSum[ii] *= T.exp(rowMax[ii] - cm)
            rowMax[ii] = cm
        }
        rowSum[ii] += T.expShifted(row, count: n, shift: rowMax[ii], scale: 1, store: false)
    }
}

/// Pass 1, columns: folds n columns of rr rows (leading dimension `ld`) into the online column
/// statistics (`colMax`, `colSum`); `colShift` and `blockMax` (n each) are scratch.
@_specialize(where T == Float)
@_specialize(where T == Double)
func fusedColumnStatistics<T: BLASScalar>(
    _ w: UnsafeMutablePointer<T>, rows rr: Int, columns n: Int, leading ld: Int,
    colMax: UnsafeMutablePointer<T>, colSum: UnsafeMutablePointer<T>,
    colShift: UnsafeMutablePointer<T>, blockMax: UnsafeMutablePointer<T>
) {
    guard rr > 0, n > 0 else { return }
    // The block's maxima first (branch-free selects), then rescale and accumulate.
    blockMax.update(from: w, count: n)
    for ii in 1..<Swift.max(rr, 1) {
        let row = w + ii * ld
        for j in 0..<n {
            let v = row[j]
            blockMax[j] = v > blockMax[j] ? v : blockMax[j]
        }
    }
    for j in 0..<n {
        let bm = blockMax[j]
        if bm > colMax[j] {
            colSum[j] *= T.exp(colMax[j] - bm)  // 0 · e^{−∞} = 0 for a column seen for the first time
            colMax[j] = bm
        }
        // A column with no unmasked pair yet keeps sum 0 and a finite shift (−∞ − −∞ is NaN).
        colShift[j] = colMax[j] > -T.infinity ? colMax[j] : 0
    }
    for ii in 0..<rr {
        T.expAccumulateColumns(w + ii * ld, count: n, shifts: colShift, into: colSum)
    }
}

/// Combines (max, sum) statistics: (m, s) ⊕ (m', s') = (M, s·e^{m−M} + s'·e^{m'−M}).
@inline(__always)
func combineStatistics<T: BLASScalar>(_ m: inout T, _ s: inout T, _ m2: T, _ s2: T) {
    guard s2 > 0 else { return }
    if s == 0 {
        m = m2
        s = s2
        return
    }
    if m2 > m {
        s = s * T.exp(m - m2) + s2
        m = m2
    } else {
        s += s2 * T.exp(m2 - m)
    }
}

/// Pass 2 on rr × n masked logits `w` (leading dimension `ld`, n by default): with the final
/// row and column log-sum-exps, overwrites `w` with scale·P (P_ij = e^{ℓ_ij − rowLSE_i},
/// direction 1's softmax) and writes scale·Q (Q_ij = e^{ℓ_ij − colLSE_j}, direction 2's) into
/// `split` — or, when `split` is nil, adds it to `w` (w = scale·(P + Q), the weight of ℓ_ij
/// in the symmetric loss without stop-gradient). Masked pairs get 0.
///
/// With `factors` (from ``columnFactors(_:count:into:)``: K and exp(K − colLSE_j) of these
/// columns) a row whose rowLSE_i − K ≤ 80 takes one exponential per pair instead of two:
/// Q_ij = P_ij · exp(rowLSE_i − K) · exp(K − colLSE_j) (a few ulp from the direct form).
@_specialize(where T == Float)
@_specialize(where T == Double)
func fusedWeights<T: BLASScalar>(
    _ w: UnsafeMutablePointer<T>, rows rr: Int, columns n: Int, leading ld: Int? = nil,
    rowLSE: UnsafePointer<T>, colLSE: UnsafePointer<T>, scale: T,
    split: UnsafeMutablePointer<T>?, factors: (shift: T, columns: UnsafePointer<T>)? = nil
) {
    let ld = ld ?? n
    for ii in 0..<rr {
        if let (shift, columns) = factors, rowLSE[ii] - shift <= 80 {  // false for NaN: two exponentials
            T.expRowScaledColumns(
                w + ii * ld, count: n, rowShift: rowLSE[ii], rowFactor: T.exp(rowLSE[ii] - shift),
                columnFactors: columns, scale: scale, columnsInto: split.map { $0 + ii * ld })
        } else {
            T.expRowAndColumns(
                w + ii * ld, count: n, rowShift: rowLSE[ii], columnShifts: colLSE, scale: scale,
                columnsInto: split.map { $0 + ii * ld })
        }
    }
}

/// The column factors of pass 2's one-exponential form: K = min_j colLSE_j and
/// factors_j = exp(K − colLSE_j) ∈ (e^−80, 1] for the n columns; returns K, or nil (two
/// exponentials per pair) when the column log-sum-exps are not all finite or spread over more
/// than 80 (a factor would underflow). Then, for a row with rowLSE_i − K ≤ 80, no product
/// P_ij · e^{rowLSE_i − K} · factor_j overflows, and one that underflows is below e^{−87}
/// exactly (Q_ij = e^{ℓ_ij − colLSE_j} ≤ e^{rowLSE_i − K}).
@_specialize(where T == Float)
@_specialize(where T == Double)
func columnFactors<T: BLASScalar>(_ colLSE: UnsafePointer<T>, count n: Int, into factors: UnsafeMutablePointer<T>) -> T?
{
    guard n > 0 else { return nil }
    var lo = colLSE[0]
    var hi = colLSE[0]
    for j in 0..<n {
        let c = colLSE[j]
        guard c.isFinite else { return nil }
        lo = c < lo ? c : lo
        hi = c > hi ? c : hi
    }
    guard hi - lo <= 80 else { return nil }
    for j in 0..<n { factors[j] = T.exp(lo - colLSE[j]) }
    return lo
}

/// The logits g·Â[i0 ..< i0+rr] Ĉᵀ (rr × n) into `w` with every non-negative pair set to −∞:
/// the pairs whose labels (as scalars of T, `labelKeys`, the chunk's first candidate at
/// `labelKeys[chunkOffset]`) are equal, a branch-free select the compiler vectorises, or
/// without labels the positive pair (anchor row i has global index `anchorOffset + i`).
@inline(__always)
func maskedLogitsKeyed<T: BLASScalar>(
    g: T, a: UnsafePointer<T>, k: Int, i0: Int, rr: Int, chunk: UnsafePointer<T>, n: Int,
    anchorOffset: Int, chunkOffset: Int, labelKeys: UnsafePointer<T>?, into w: UnsafeMutablePointer<T>
) {
    T.gemm(
        .none, .transpose, m: rr, n: n, k: k, alpha: g, a: a + i0 * k, lda: k, b: chunk, ldb: k, beta: 0, c: w, ldc: n)
    let masked = -T.infinity
    for ii in 0..<rr {
        let gi = anchorOffset + i0 + ii
        let row = w + ii * n
        if let labelKeys {
            let yi = labelKeys[gi]
            let keys = labelKeys + chunkOffset
            for j in 0..<n { row[j] = keys[j] == yi ? masked : row[j] }
        } else {
            let j = gi - chunkOffset
            if j >= 0 && j < n { row[j] = masked }
        }
    }
}
