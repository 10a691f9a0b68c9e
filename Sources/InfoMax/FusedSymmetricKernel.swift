// InfoMax/FusedSymmetricKernel.swift — the numerical core of the fused symmetric InfoNCE.
// Both directions of the symmetric loss read one similarity matrix S = g·Ĥ Ĝᵀ: direction 1
// (anchors h) takes the row log-sum-exps of S, direction 2 (anchors g) the column ones. For a
// block of anchor rows against its candidate columns these functions fold the masked logits
// into online row and column (max, sum-exp) statistics (pass 1), then turn them into the
// combined softmax weights of both directions and run the two gradient gemms (pass 2), so
// that one logits gemm and two gradient gemms serve both directions. Nothing here allocates.
import Linalg

/// The columns a row block computes, out of `count`: [0, s) and [e, count), side by side in the
/// block's rows of `width` logits (all of them when s = e = count; GroupedAllgatherPlan leaves
/// out the rows' own label, [s, e)).
struct BlockColumns {
    let s: Int, e: Int, count: Int
    var width: Int { s + count - e }

    /// All `n` columns.
    static func all(_ n: Int) -> BlockColumns { BlockColumns(s: n, e: n, count: n) }

    /// `body(c0, nr, at)` for each range: nr columns from column c0, at `at` in the block's rows.
    func forEachRange(_ body: (_ c0: Int, _ nr: Int, _ at: Int) -> Void) {
        if s > 0 { body(0, s, 0) }
        if e < count { body(e, count - e, s) }
    }
}

/// Pass 1 on a block: folds rr rows of masked logits `w` (rows of `columns.width`; masked
/// pairs −∞) into the online row statistics (`rowMax`, `rowSum` = Σ e^{ℓ−rowMax}) and column
/// ones (`colMax`, `colSum`, indexed by column); `colShift` and `blockMax` are scratch.
@_specialize(where T == Float)
@_specialize(where T == Double)
func fusedStatistics<T: BLASScalar>(
    _ w: UnsafeMutablePointer<T>, rows rr: Int, columns: BlockColumns, rowMax: UnsafeMutablePointer<T>,
    rowSum: UnsafeMutablePointer<T>, colMax: UnsafeMutablePointer<T>, colSum: UnsafeMutablePointer<T>,
    colShift: UnsafeMutablePointer<T>, blockMax: UnsafeMutablePointer<T>
) {
    let ld = columns.width
    guard rr > 0, ld > 0 else { return }
    for ii in 0..<rr {
        let row = w + ii * ld
        let cm = rowMaximum(row, ld)
        if cm > rowMax[ii] {
            rowSum[ii] *= T.exp(rowMax[ii] - cm)
            rowMax[ii] = cm
        }
        rowSum[ii] += T.expShifted(row, count: ld, shift: rowMax[ii], scale: 1, store: false)
    }
    columns.forEachRange { c0, n, at in
        let w = w + at
        let colMax = colMax + c0
        let colSum = colSum + c0
        // The block's maxima first (branch-free selects), then rescale and accumulate.
        blockMax.update(from: w, count: n)
        for ii in 1..<rr {
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

/// Pass 2 on a block, with the final row and column log-sum-exps: first the weights, `w`
/// overwritten with scale·P (P_ij = e^{ℓ_ij − rowLSE_i}, direction 1's softmax) and scale·Q
/// (Q_ij = e^{ℓ_ij − colLSE_j}, direction 2's) written into `split` — or, when `split` is nil,
/// added to `w` (w = scale·(P + Q), the weight of ℓ_ij in the symmetric loss without
/// stop-gradient); masked pairs get 0. Then, range by range, dA += g·W₁ C (the block's rows)
/// and dC += g·W₂ᵀ A (`a`: the block's rows of the anchors; dC and C indexed by column).
///
/// With `factors` (from ``columnFactors(_:count:into:)``: K and exp(K − colLSE_j) of every
/// column) a row whose rowLSE_i − K ≤ 80 takes one exponential per pair instead of two:
/// Q_ij = P_ij · exp(rowLSE_i − K) · exp(K − colLSE_j) (a few ulp from the direct form).
@_specialize(where T == Float)
@_specialize(where T == Double)
func fusedGradients<T: BLASScalar>(
    _ w: UnsafeMutablePointer<T>, split: UnsafeMutablePointer<T>?, rows rr: Int, columns: BlockColumns,
    rowLSE: UnsafePointer<T>, colLSE: UnsafePointer<T>, scale: T, factors: (shift: T, columns: UnsafePointer<T>)?,
    g: T, k: Int, c: UnsafePointer<T>, a: UnsafePointer<T>, dA: UnsafeMutablePointer<T>, dC: UnsafeMutablePointer<T>
) {
    let ld = columns.width
    columns.forEachRange { c0, n, at in
        for ii in 0..<rr {
            let into = split.map { $0 + ii * ld + at }
            if let (shift, factors) = factors, rowLSE[ii] - shift <= 80 {  // false for NaN: two exponentials
                T.expRowScaledColumns(
                    w + ii * ld + at, count: n, rowShift: rowLSE[ii], rowFactor: T.exp(rowLSE[ii] - shift),
                    columnFactors: factors + c0, scale: scale, columnsInto: into)
            } else {
                T.expRowAndColumns(
                    w + ii * ld + at, count: n, rowShift: rowLSE[ii], columnShifts: colLSE + c0, scale: scale,
                    columnsInto: into)
            }
        }
    }
    columns.forEachRange { c0, n, at in
        T.gemm(
            .none, .none, m: rr, n: k, k: n, alpha: g, a: w + at, lda: ld, b: c + c0 * k, ldb: k, beta: 1, c: dA,
            ldc: k)
        T.gemm(
            .transpose, .none, m: n, n: k, k: rr, alpha: g, a: (split ?? w) + at, lda: ld, b: a, ldb: k, beta: 1,
            c: dC + c0 * k, ldc: k)
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

/// The logits g·Â Ĉᵀ of rr rows `a` against the block's columns of `c` (rows of k) into `w`;
/// when `masked` (all the columns, contiguous) every non-negative pair set to −∞, row ii being
/// the global row `row0 + ii` and column j the global column `column0 + j`: the pairs whose
/// labels (as scalars of T, `labelKeys`) are equal, a branch-free select the compiler
/// vectorises, or without labels the positive pair.
@inline(__always)
func fusedLogits<T: BLASScalar>(
    g: T, a: UnsafePointer<T>, rows rr: Int, columns: BlockColumns, c: UnsafePointer<T>, k: Int, masked: Bool,
    row0: Int, column0: Int, labelKeys: UnsafePointer<T>?, into w: UnsafeMutablePointer<T>
) {
    let n = columns.width
    columns.forEachRange { c0, nr, at in
        T.gemm(
            .none, .transpose, m: rr, n: nr, k: k, alpha: g, a: a, lda: k, b: c + c0 * k, ldb: k, beta: 0, c: w + at,
            ldc: n)
    }
    guard masked else { return }
    for ii in 0..<rr {
        let gi = row0 + ii
        let row = w + ii * n
        if let labelKeys {
            let yi = labelKeys[gi]
            let keys = labelKeys + column0
            for j in 0..<n { row[j] = keys[j] == yi ? -.infinity : row[j] }
        } else {
            let j = gi - column0
            if j >= 0 && j < n { row[j] = -.infinity }
        }
    }
}
