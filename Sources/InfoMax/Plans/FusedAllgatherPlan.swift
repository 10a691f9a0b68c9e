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
// Opposite-label negatives are masked here (every pair computed); GroupedAllgatherPlan skips
// them, through the same two passes (``FusedAllgather``) in its label order.
import Linalg
import MPI

/// Both fused all-gather plans: grouped by label (GroupedAllgatherPlan) or not.
protocol FusedAllgather: FusedPlan {
    static var grouped: Bool { get }
}

final class FusedAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedAllgather {
    static var grouped: Bool { false }
}

extension FusedAllgather {
    /// The two passes. A block is the rows at positions pos0 ..< pos0 + rr of the row order
    /// against its columns (all N when not grouped); the row statistics are kept by position,
    /// the column ones in the column order.
    func evaluateSymmetric(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?, into result: inout SymmetricContrastiveResult<Scalar>
    ) throws {
        typealias T = Scalar
        let grouped = Self.grouped
        var meter = skeleton.meter()
        let f = try fusedStart(
            h, gm, labels: labels, labelKeys: !grouped && loss.negatives == .oppositeLabel, gathered: true,
            into: &result, meter: &meter)
        let (B, b, k) = (f.B, f.b, f.k)
        try gatherCandidates(f.gh, globalRows: B, gradient: true, meter: &meter)
        let (lp, rowMax, rowSum, colLSE) = (f.lp, f.rowMax, f.rowSum, f.colLSE)
        let colSum = ws.colSum.zeroed(B)
        let colMax = ws.colMax.zeroed(B)
        colMax.update(repeating: -.infinity, count: B)
        let hold = b * B <= holdElements  // the b × N logits kept between the passes
        let L = ws.logits.atLeast(hold ? b * B : f.rowsPerBlock * B)
        // Grouped: the block's rows gathered in the row order, and their dĤ before it is scattered back.
        let aBlock = grouped ? ws.rowBlock.atLeast(f.rowsPerBlock * k) : nil
        let dhBlock = grouped ? ws.rowGradient.atLeast(f.rowsPerBlock * k) : nil
        let order = grouped ? labelOrder(f) : nil
        func row(_ q: Int) -> Int { order?.rows[q] ?? q }
        func column(_ j: Int) -> Int { order?.columnPosition[j] ?? j }

        var pairs = 0
        let summedLoss = try withPointers(f, &result) { d in
            /// `body(pos0, rr, columns, w, a)` for every block: its logits `w` (computed when
            /// `compute`, else held from pass 1) and its rows of ĥ `a`.
            func forEachBlock(
                compute: Bool,
                _ body: (Int, Int, BlockColumns, UnsafeMutablePointer<T>, UnsafePointer<T>) -> Void
            ) {
                func block(_ pos0: Int, _ rr: Int, _ columns: BlockColumns) {
                    guard columns.width > 0 else { return }
                    let w = hold ? L + pos0 * B : L
                    var a = d.h + pos0 * k
                    if let order, let aBlock {
                        order.rows.withUnsafeBufferPointer {
                            gatherRows(d.h, order: $0.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
                        }
                        a = UnsafePointer(aBlock)
                    }
                    if compute {
                        fusedLogits(
                            g: f.gs, a: a, rows: rr, columns: columns, c: d.c, k: k, masked: !grouped,
                            row0: f.offset + pos0, column0: 0, labelKeys: f.keys, into: w)
                    }
                    body(pos0, rr, columns, w, a)
                }
                guard k > 0 else { return }
                if let order { return order.forEachBlock(f.rowsPerBlock, block) }
                for i0 in stride(from: 0, to: b, by: f.rowsPerBlock) {
                    block(i0, Swift.min(f.rowsPerBlock, b - i0), .all(B))
                }
            }

            // Pass 1: the row and column statistics, from the positive pairs on.
            if k > 0 {
                positiveLogits(g: f.gs, a: d.h, p: d.g, b: b, k: k, into: lp)
                for q in 0..<b {
                    rowMax[q] = lp[row(q)]
                    rowSum[q] = 1
                    colMax[column(f.offset + q)] = lp[q]
                    colSum[column(f.offset + q)] = 1
                }
            }
            forEachBlock(compute: true) { pos0, rr, columns, w, _ in
                pairs += rr * columns.width
                fusedStatistics(
                    w, rows: rr, columns: columns, rowMax: rowMax + pos0, rowSum: rowSum + pos0, colMax: colMax,
                    colSum: colSum, colShift: f.colShift, blockMax: f.blockMax)
            }
            var rowShare = 0.0
            for q in 0..<b {
                rowMax[q] += T.log(rowSum[q])  // from here on: the row log-sum-exps
                rowShare += Double(rowMax[q]) - 2 * Double(lp[row(q)])
            }
            let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

            // Pass 2: the weights of both directions, dĤ of the block's rows and dĜ of all N.
            let shift = columnFactors(colLSE, count: B, into: f.colShift)
            forEachBlock(compute: !hold) { pos0, rr, columns, w, a in
                dhBlock?.update(repeating: 0, count: rr * k)
                fusedGradients(
                    w, split: f.split, rows: rr, columns: columns, rowLSE: rowMax + pos0, colLSE: colLSE,
                    scale: f.scale, factors: shift.map { ($0, UnsafePointer(f.colShift)) }, g: f.gs, k: k, c: d.c, a: a,
                    dA: dhBlock ?? d.dh + pos0 * k, dC: d.dC)
                if let order, let dhBlock {
                    order.rows.withUnsafeBufferPointer {
                        scatterAddRows(dhBlock, order: $0.baseAddress! + pos0, rows: rr, k: k, into: d.dh)
                    }
                }
            }
            return summedLoss
        }

        if let order {  // dĜ back to the global order; the fraction of the pairs computed
            if k > 0 { ws.permuteRows(&ws.dCGlobal, k: k, order: order.columnPosition) }
            skeleton.lastPairFraction = b * B > 0 ? Double(pairs) / Double(b * B) : 1
        }
        try skeleton.sumCandidateGradient(&ws.dCGlobal, into: &result.dSecond.storage, width: k, meter: &meter)
        try finishFused(f, into: &result, loss: summedLoss, summed: true, meter: meter) { q in
            (row(q), rowMax[q], colLSE[column(f.offset + row(q))])
        }
    }

    /// Every rank's (max, sum-exp) statistics of the N columns (`colMax`, `colSum`) are
    /// gathered and combined in rank order (the same bits on every rank) into the column
    /// log-sum-exps `colLSE`. The loss rides along, so that it needs no collective of its own:
    /// each rank adds its rows' share Σᵢ (row LSEᵢ − 2·Sᵢᵢ) (`rowShare`, sent as two scalars,
    /// high and low part, ~48 bits in Float); returns the summed loss Σ_r rowShare_r + Σⱼ col
    /// LSEⱼ (before the 1/2N), the same on every rank.
    func combineColumnStatistics(_ B: Int, rowShare: Double, meter: inout Meter) throws -> Double {
        let comm = skeleton.communicator
        let p = comm.size
        let width = 2 * B + 2
        resizeZeroed(&ws.colStatsLocal, width)
        for j in 0..<B {
            ws.colStatsLocal[j] = ws.colMax[j]
            ws.colStatsLocal[B + j] = ws.colSum[j]
        }
        let high = Scalar(rowShare)
        ws.colStatsLocal[2 * B] = high
        ws.colStatsLocal[2 * B + 1] = Scalar(rowShare - Double(high))
        try meter.communicate(comm, bytes: (p - 1) * width * MemoryLayout<Scalar>.stride) {
            try comm.allgather(ws.colStatsLocal, into: &ws.colStatsAll)
        }
        let all = ws.colStatsAll
        var total = 0.0
        for r in 0..<p { total += Double(all[r * width + 2 * B]) + Double(all[r * width + 2 * B + 1]) }
        for j in 0..<B {
            var m = -Scalar.infinity
            var sum: Scalar = 0
            for r in 0..<p { combineStatistics(&m, &sum, all[r * width + j], all[r * width + B + j]) }
            ws.colLSE[j] = m + Scalar.log(sum)
            total += Double(ws.colLSE[j])
        }
        return total
    }

    /// Executed: three b × N × k gemms per call with the logits held, four otherwise; grouped,
    /// over the opposite-label pairs only (the last call's fraction).
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        guard s.loss.needsCandidates else { return (0, 0) }
        let gemms: Double = s.b * s.B > s.holdElements ? 4 : 3
        return (gemms * s.pairFlops * (grouped ? s.pairFraction : 1), s.unfusedFlops(ring: false))
    }

    /// The gathered candidates, the whole b × B logits held between the two passes when they
    /// fit `holdElements` (else a block), the split row/column weights of a block with
    /// stop-gradient, and the B × k partial gradient of the candidates it reduce-scatters.
    static func workspace(_ s: LossShape) -> [LossBuffer] {
        let f = s.scalarBytes
        let rows = s.blockRows(width: s.B)
        let held = Double(s.b) * Double(s.B) <= Double(s.holdElements)
        var parts = s.gatheredBuffers
        parts.append(
            LossBuffer(
                "loss: fused logits (b × B held if ≤ 16 Mi, else a block)", global: false,
                held ? [s.b, s.B, f] : [rows, s.B, f]))
        if s.loss.stopGradient {
            parts.append(LossBuffer("loss: fused split weights (one block)", global: false, [rows, s.B, f]))
        }
        if !s.wantDC {
            parts.append(LossBuffer("loss: fused candidate-gradient partial", global: true, [s.B, s.k, f]))
        }
        return parts
    }
}
