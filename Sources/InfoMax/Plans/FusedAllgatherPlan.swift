// InfoMax/Plans/FusedAllgatherPlan.swift — the symmetric InfoNCE with both directions from one
// similarity matrix, all-gather exchange. With S = g·Ĥ Ĝᵀ (this rank holds rows R = its
// anchors h, against all N gathered ĝ), direction 1's log-sum-exps are S's row ones (local)
// and direction 2's the column ones: each rank folds its rows into online column (max,
// sum-exp) statistics, the statistics are all-gathered (2N scalars per rank) and combined in
// rank order. Then, per row block, W = (P + Q)/2N (P, Q: row and column softmax; with
// stop-gradient each direction keeps its own part, W₁ = P/2N for dĤ and W₂ = Q/2N for dĜ),
// dĤ_R = g·W₁ Ĝ and the partial dĜ = g·W₂ᵀ Ĥ_R, reduce-scattered to the owners. The
// positive pairs (S's diagonal) are added row by row. Three b × N × k gemms per row block
// when the logits are held between the passes (`holdElements`), four otherwise; six unfused.
// Opposite-label negatives are masked here (every pair computed); GroupedAllgatherPlan skips them.
import Linalg
import MPI

final class FusedAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedPlan {
    typealias T = Scalar
    var exchange: CandidateExchange { .allgather }

    func evaluateSymmetric(
        _ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?, into result: inout SymmetricContrastiveResult<T>
    ) throws {
        var meter = skeleton.meter()
        let needLabels = loss.negatives == .oppositeLabel
        let f = try fusedAllgatherSetup(
            h, gm, labels: labels, labelKeys: needLabels, into: &result, meter: &meter)
        let B = f.B
        let b = f.b
        let k = f.k
        let offset = f.offset
        let gs = f.gs
        let hold = f.hold
        let lp = ws.positive.pointer
        let rowMax = ws.rowMax.pointer
        let rowSum = ws.rowSum.pointer
        let L = ws.logits.pointer
        let colMax = ws.colMax.pointer
        let colSum = ws.colSum.pointer
        let colShift = ws.colShift.pointer
        let blockMax = ws.blockMax.pointer
        let colLSE = ws.colLSE.pointer
        let keys: UnsafePointer<T>? = needLabels ? UnsafePointer(ws.labelKeys.pointer) : nil
        var rowShare = 0.0

        if b > 0 && k > 0 {
            withPointers(f, &result) { d in
                positiveLogits(g: gs, a: d.h, p: d.g, b: b, k: k, into: lp)
                for i in 0..<b {
                    rowMax[i] = lp[i]
                    rowSum[i] = 1
                }
                for i in 0..<b {
                    colMax[offset + i] = lp[i]
                    colSum[offset + i] = 1
                }
                for i0 in stride(from: 0, to: b, by: f.rowsPerBlock) {
                    let rr = Swift.min(f.rowsPerBlock, b - i0)
                    let w = hold ? L + i0 * B : L
                    maskedLogitsKeyed(
                        g: gs, a: d.h, k: k, i0: i0, rr: rr, chunk: d.c, n: B, anchorOffset: offset,
                        chunkOffset: 0, labelKeys: keys, into: w)
                    fusedStatistics(
                        w, rows: rr, columns: B, rowMax: rowMax + i0, rowSum: rowSum + i0,
                        colMax: colMax, colSum: colSum, colShift: colShift, blockMax: blockMax)
                }
            }
        }
        for i in 0..<b {
            rowMax[i] += T.log(rowSum[i])  // from here on: the row log-sum-exps
            rowShare += Double(rowMax[i]) - 2 * Double(lp[i])
        }
        let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

        if b > 0 && k > 0 {
            let split = loss.stopGradient ? ws.splitWeights.pointer : nil
            withPointers(f, &result) { d in
                let factors = columnFactors(colLSE, count: B, into: colShift).map {
                    ($0, UnsafePointer(colShift))
                }
                for i0 in stride(from: 0, to: b, by: f.rowsPerBlock) {
                    let rr = Swift.min(f.rowsPerBlock, b - i0)
                    let w = hold ? L + i0 * B : L
                    if !hold {
                        maskedLogitsKeyed(
                            g: gs, a: d.h, k: k, i0: i0, rr: rr, chunk: d.c, n: B, anchorOffset: offset,
                            chunkOffset: 0, labelKeys: keys, into: w)
                    }
                    fusedWeights(
                        w, rows: rr, columns: B, rowLSE: rowMax + i0, colLSE: colLSE,
                        scale: f.scale, split: split, factors: factors)
                    // dĤ_block += g·W₁ Ĝ ; dĜ += g·W₂ᵀ Ĥ_block (W₂ = W₁ without stop-gradient).
                    T.gemm(
                        .none, .none, m: rr, n: k, k: B, alpha: gs, a: w, lda: B, b: d.c, ldb: k,
                        beta: 1, c: d.dh + i0 * k, ldc: k)
                    T.gemm(
                        .transpose, .none, m: B, n: k, k: rr, alpha: gs, a: split ?? w, lda: B,
                        b: d.h + i0 * k, ldb: k, beta: 1, c: d.dC, ldc: k)
                }
            }
        }

        try finishFusedAllgather(f, into: &result, summedLoss: summedLoss, meter: &meter) { i in
            (i, rowMax[i], colLSE[offset + i])
        }
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        fusedFlops(s, gemms: s.b * s.B > s.holdElements ? 4 : 3, ring: false, pairFraction: 1)
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] { fusedAllgatherWorkspace(s) }
}
