// InfoMax/Plans/GroupedAllgatherPlan.swift — the fused symmetric InfoNCE (FusedAllgatherPlan)
// for opposite-label negatives, grouped by label: the gathered candidates are permuted so that
// every label's samples are contiguous, and a block of this rank's rows with one label y
// computes its logits only against the other labels' columns — two contiguous column ranges,
// [0, s_y) and [e_y, N) — so the same-label pairs, which the mask would zero (the positive
// pair included: it is added row by row), cost neither a gemm nor an exponential: with two
// balanced labels half the work of the masked form. The column statistics, log-sum-exps and
// dĜ partials live in the sorted column order; dĜ is permuted back before the
// reduce-scatter. The loss is permutation invariant: the same values to float rounding.
import Linalg
import MPI

final class GroupedAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedPlan {
    typealias T = Scalar
    var exchange: CandidateExchange { .allgather }

    func evaluateSymmetric(
        _ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?, into result: inout SymmetricContrastiveResult<T>
    ) throws {
        var meter = skeleton.meter()
        let f = try fusedAllgatherSetup(
            h, gm, labels: labels, labelKeys: false, into: &result, meter: &meter)
        let B = f.B
        let b = f.b
        let k = f.k
        let offset = f.offset
        let gs = f.gs
        let hold = f.hold
        let rowsPerBlock = f.rowsPerBlock
        let lp = ws.positive.pointer
        let rowMax = ws.rowMax.pointer
        let rowSum = ws.rowSum.pointer
        let L = ws.logits.pointer
        let colMax = ws.colMax.pointer
        let colSum = ws.colSum.pointer
        let colShift = ws.colShift.pointer
        let blockMax = ws.blockMax.pointer
        let colLSE = ws.colLSE.pointer
        let aBlock = ws.rowBlock.atLeast(rowsPerBlock * k)
        let dhBlock = ws.rowGradient.atLeast(rowsPerBlock * k)
        var rowShare = 0.0
        var pairs = 0

        // The label order: columns (every rank the same) and this rank's rows.
        let labelsGlobal = skeleton.labelsGlobal
        var minLabel = Int64.max
        for j in 0..<B { minLabel = Swift.min(minLabel, labelsGlobal[j]) }
        ws.sortByLabel(count: B, label: { labelsGlobal[$0] - minLabel }, into: &ws.colOrder)
        resizeZeroed(&ws.colPos, B)
        resizeZeroed(&ws.sortedLabels, B)
        for q in 0..<B {
            ws.colPos[ws.colOrder[q]] = q
            ws.sortedLabels[q] = labelsGlobal[ws.colOrder[q]]
        }
        ws.sortByLabel(count: b, label: { labelsGlobal[offset + $0] - minLabel }, into: &ws.rowOrder)
        if k > 0 { ws.permuteRows(&ws.gathered, k: k, order: ws.colOrder) }
        let rowOrder = ws.rowOrder
        let sortedLabels = ws.sortedLabels
        let colPos = ws.colPos

        /// Calls `body(pos0, rr, s, e)` for every block of ≤ rowsPerBlock rows (positions in
        /// `rowOrder`) that share a label whose sorted columns are [s, e).
        func forEachBlock(_ body: (Int, Int, Int, Int) -> Void) {
            var pos0 = 0
            while pos0 < b {
                let y = labelsGlobal[offset + rowOrder[pos0]]
                var end = pos0
                while end < b && labelsGlobal[offset + rowOrder[end]] == y { end += 1 }
                let (s, e) = sameLabelRange(y, count: B) { sortedLabels[$0] }  // the sorted columns with label y
                var q = pos0
                while q < end {
                    let rr = Swift.min(rowsPerBlock, end - q)
                    body(q, rr, s, e)
                    q += rr
                }
                pos0 = end
            }
        }

        if b > 0 && k > 0 {
            withPointers(f, &result) { d in
                rowOrder.withUnsafeBufferPointer { pro in
                    let a = d.h
                    let G = d.c
                    positiveLogits(g: gs, a: a, p: d.g, b: b, k: k, into: lp)
                    for q in 0..<b {
                        rowMax[q] = lp[pro[q]]
                        rowSum[q] = 1
                    }
                    for i in 0..<b {
                        colMax[colPos[offset + i]] = lp[i]
                        colSum[colPos[offset + i]] = 1
                    }
                    forEachBlock { pos0, rr, s, e in
                        let n1 = s
                        let n2 = B - e
                        let n = n1 + n2
                        guard n > 0 else { return }
                        gatherRows(a, order: pro.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
                        let w = hold ? L + pos0 * B : L
                        if n1 > 0 {
                            T.gemm(
                                .none, .transpose, m: rr, n: n1, k: k, alpha: gs, a: aBlock, lda: k, b: G,
                                ldb: k, beta: 0, c: w, ldc: n)
                        }
                        if n2 > 0 {
                            T.gemm(
                                .none, .transpose, m: rr, n: n2, k: k, alpha: gs, a: aBlock, lda: k,
                                b: G + e * k, ldb: k, beta: 0, c: w + n1, ldc: n)
                        }
                        pairs += rr * n
                        fusedRowStatistics(
                            w, rows: rr, columns: n, rowMax: rowMax + pos0, rowSum: rowSum + pos0)
                        fusedColumnStatistics(
                            w, rows: rr, columns: n1, leading: n, colMax: colMax, colSum: colSum,
                            colShift: colShift, blockMax: blockMax)
                        fusedColumnStatistics(
                            w + n1, rows: rr, columns: n2, leading: n, colMax: colMax + e,
                            colSum: colSum + e, colShift: colShift, blockMax: blockMax)
                    }
                }
            }
        }
        for q in 0..<b {
            rowMax[q] += T.log(rowSum[q])  // from here on: the row log-sum-exps (by position)
            rowShare += Double(rowMax[q]) - 2 * Double(lp[rowOrder[q]])
        }
        // In the sorted order, the same on every rank.
        let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

        if b > 0 && k > 0 {
            let split = loss.stopGradient ? ws.splitWeights.pointer : nil
            withPointers(f, &result) { d in
                rowOrder.withUnsafeBufferPointer { pro in
                    let a = d.h
                    let G = d.c
                    let dg = d.dC
                    let shift = columnFactors(colLSE, count: B, into: colShift)
                    let cf = UnsafePointer(colShift)
                    forEachBlock { pos0, rr, s, e in
                        let n1 = s
                        let n2 = B - e
                        let n = n1 + n2
                        guard n > 0 else { return }
                        gatherRows(a, order: pro.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
                        let w = hold ? L + pos0 * B : L
                        if !hold {
                            if n1 > 0 {
                                T.gemm(
                                    .none, .transpose, m: rr, n: n1, k: k, alpha: gs, a: aBlock, lda: k,
                                    b: G, ldb: k, beta: 0, c: w, ldc: n)
                            }
                            if n2 > 0 {
                                T.gemm(
                                    .none, .transpose, m: rr, n: n2, k: k, alpha: gs, a: aBlock, lda: k,
                                    b: G + e * k, ldb: k, beta: 0, c: w + n1, ldc: n)
                            }
                        }
                        let lse = rowMax + pos0
                        fusedWeights(
                            w, rows: rr, columns: n1, leading: n, rowLSE: lse, colLSE: colLSE,
                            scale: f.scale, split: split, factors: shift.map { ($0, cf) })
                        fusedWeights(
                            w + n1, rows: rr, columns: n2, leading: n, rowLSE: lse, colLSE: colLSE + e,
                            scale: f.scale,
                            split: split.map { $0 + n1 }, factors: shift.map { ($0, cf + e) })
                        let w2 = split ?? w
                        // dĤ of the block's rows (then scattered to them); dĜ of both column ranges.
                        dhBlock.update(repeating: 0, count: rr * k)
                        if n1 > 0 {
                            T.gemm(
                                .none, .none, m: rr, n: k, k: n1, alpha: gs, a: w, lda: n, b: G, ldb: k,
                                beta: 1, c: dhBlock, ldc: k)
                            T.gemm(
                                .transpose, .none, m: n1, n: k, k: rr, alpha: gs, a: w2, lda: n, b: aBlock,
                                ldb: k, beta: 1, c: dg, ldc: k)
                        }
                        if n2 > 0 {
                            T.gemm(
                                .none, .none, m: rr, n: k, k: n2, alpha: gs, a: w + n1, lda: n,
                                b: G + e * k, ldb: k, beta: 1, c: dhBlock, ldc: k)
                            T.gemm(
                                .transpose, .none, m: n2, n: k, k: rr, alpha: gs, a: w2 + n1, lda: n,
                                b: aBlock, ldb: k, beta: 1, c: dg + e * k, ldc: k)
                        }
                        scatterAddRows(
                            dhBlock, order: pro.baseAddress! + pos0, rows: rr, k: k, into: d.dh)
                    }
                }
            }
        }

        // dĜ back to the global order, then to its owners; rows and columns by position.
        if k > 0 { ws.permuteRows(&ws.dCGlobal, k: k, order: colPos) }
        skeleton.lastPairFraction = b * B > 0 ? Double(pairs) / Double(b * B) : 1
        try finishFusedAllgather(f, into: &result, summedLoss: summedLoss, meter: &meter) { q in
            let i = rowOrder[q]
            return (i, rowMax[q], colLSE[colPos[offset + i]])
        }
    }

    /// Executed: as FusedAllgatherPlan, over the opposite-label pairs only (the last call's fraction).
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        fusedFlops(s, gemms: s.b * s.B > s.holdElements ? 4 : 3, ring: false, pairFraction: s.pairFraction)
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] { fusedAllgatherWorkspace(s) }
}
