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
// them, through the same two passes (`evaluateAllgather`) in its label order.
import Linalg
import MPI

final class FusedAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedPlan {
    var exchange: CandidateExchange { .allgather }

    func evaluateSymmetric(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?,
        into result: inout SymmetricContrastiveResult<Scalar>
    ) throws {
        try evaluateAllgather(h, gm, labels: labels, grouped: false, into: &result)
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        fusedFlops(s, gemms: s.b * s.B > s.holdElements ? 4 : 3, ring: false, pairFraction: 1)
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] { allgatherWorkspace(s) }
}

extension FusedPlan {
    /// The two passes of both fused all-gather plans, grouped by label (GroupedAllgatherPlan)
    /// or not. A block is the rows at positions pos0 ..< pos0 + rr of the row order against
    /// the columns [0, s) and [e, N) (all of them, s = e = N, when not grouped); the row
    /// statistics are kept by position, the column ones in the column order.
    func evaluateAllgather(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?, grouped: Bool,
        into result: inout SymmetricContrastiveResult<Scalar>
    ) throws {
        typealias T = Scalar
        var meter = skeleton.meter()
        let keyed = !grouped && loss.negatives == .oppositeLabel
        let f = try fusedStart(
            h, gm, labels: labels, labelKeys: keyed, gathered: true, into: &result, meter: &meter)
        let B = f.B
        let b = f.b
        let k = f.k
        let offset = f.offset
        let gs = f.gs
        let rowsPerBlock = f.rowsPerBlock
        try gatherCandidates(f.gh, globalRows: B, gradient: true, meter: &meter)
        let lp = ws.positive.zeroed(b)
        let rowMax = ws.rowMax.zeroed(b)
        let rowSum = ws.rowSum.zeroed(b)
        let colSum = ws.colSum.zeroed(B)
        let colMax = ws.colMax.zeroed(B)
        colMax.update(repeating: -.infinity, count: B)
        let colShift = ws.colShift.zeroed(B)
        let blockMax = ws.blockMax.zeroed(B)
        let colLSE = ws.colLSE.zeroed(B)
        let hold = b * B <= holdElements  // the b × N logits kept between the passes
        let L = ws.logits.atLeast(hold ? b * B : rowsPerBlock * B)
        let split = loss.stopGradient ? ws.splitWeights.atLeast(rowsPerBlock * B) : nil
        let keys: UnsafePointer<T>? = keyed ? UnsafePointer(ws.labelKeys.pointer) : nil
        // Grouped: the block's rows gathered in the row order, and their dĤ before it is scattered back.
        let aBlock = grouped ? ws.rowBlock.atLeast(rowsPerBlock * k) : nil
        let dhBlock = grouped ? ws.rowGradient.atLeast(rowsPerBlock * k) : nil
        let order = grouped ? labelOrder(f) : nil
        func row(_ q: Int) -> Int { order?.rows[q] ?? q }
        func column(_ j: Int) -> Int { order?.columnPosition[j] ?? j }
        func forEachBlock(_ body: (_ pos0: Int, _ rr: Int, _ s: Int, _ e: Int) -> Void) {
            if let order { return order.forEachBlock(rowsPerBlock, body) }
            for i0 in stride(from: 0, to: b, by: rowsPerBlock) { body(i0, Swift.min(rowsPerBlock, b - i0), B, B) }
        }
        /// `body(c0, nr, at)` for the block's column ranges: nr columns from c0, at column `at` of its logits.
        func forEachRange(_ s: Int, _ e: Int, _ body: (_ c0: Int, _ nr: Int, _ at: Int) -> Void) {
            if s > 0 { body(0, s, 0) }
            if e < B { body(e, B - e, s) }
        }
        /// The block's logits into `w` (when `compute`; the rr × n pairs, leading dimension n):
        /// all N columns masked, or grouped, only the other labels' columns, from the block's
        /// rows gathered into `aBlock`. Returns where the block's rows of ĥ are.
        @discardableResult func blockLogits(
            _ d: FusedPointers<T>, _ pos0: Int, _ rr: Int, _ s: Int, _ e: Int, compute: Bool,
            into w: UnsafeMutablePointer<T>
        ) -> UnsafePointer<T> {
            guard let order, let aBlock else {
                if compute {
                    maskedLogitsKeyed(
                        g: gs, a: d.h, k: k, i0: pos0, rr: rr, chunk: d.c, n: B, anchorOffset: offset,
                        chunkOffset: 0, labelKeys: keys, into: w)
                }
                return d.h + pos0 * k
            }
            order.rows.withUnsafeBufferPointer {
                gatherRows(d.h, order: $0.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
            }
            if compute {
                forEachRange(s, e) { c0, nr, at in
                    T.gemm(
                        .none, .transpose, m: rr, n: nr, k: k, alpha: gs, a: aBlock, lda: k, b: d.c + c0 * k, ldb: k,
                        beta: 0, c: w + at, ldc: s + B - e)
                }
            }
            return UnsafePointer(aBlock)
        }

        var pairs = 0
        if b > 0 && k > 0 {
            withPointers(f, &result) { d in
                positiveLogits(g: gs, a: d.h, p: d.g, b: b, k: k, into: lp)
                for q in 0..<b {
                    rowMax[q] = lp[row(q)]
                    rowSum[q] = 1
                }
                for i in 0..<b {
                    colMax[column(offset + i)] = lp[i]
                    colSum[column(offset + i)] = 1
                }
                forEachBlock { pos0, rr, s, e in
                    let n = s + B - e
                    guard n > 0 else { return }
                    let w = hold ? L + pos0 * B : L
                    blockLogits(d, pos0, rr, s, e, compute: true, into: w)
                    pairs += rr * n
                    fusedRowStatistics(w, rows: rr, columns: n, rowMax: rowMax + pos0, rowSum: rowSum + pos0)
                    forEachRange(s, e) { c0, nr, at in
                        fusedColumnStatistics(
                            w + at, rows: rr, columns: nr, leading: n, colMax: colMax + c0, colSum: colSum + c0,
                            colShift: colShift, blockMax: blockMax)
                    }
                }
            }
        }
        var rowShare = 0.0
        for q in 0..<b {
            rowMax[q] += T.log(rowSum[q])  // from here on: the row log-sum-exps
            rowShare += Double(rowMax[q]) - 2 * Double(lp[row(q)])
        }
        let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

        if b > 0 && k > 0 {
            withPointers(f, &result) { d in
                let shift = columnFactors(colLSE, count: B, into: colShift)
                let cf = UnsafePointer(colShift)
                forEachBlock { pos0, rr, s, e in
                    let n = s + B - e
                    guard n > 0 else { return }
                    let w = hold ? L + pos0 * B : L
                    let a = blockLogits(d, pos0, rr, s, e, compute: !hold, into: w)
                    let w2 = split ?? w
                    let dh = dhBlock ?? d.dh + pos0 * k
                    dhBlock?.update(repeating: 0, count: rr * k)
                    forEachRange(s, e) { c0, nr, at in
                        fusedWeights(
                            w + at, rows: rr, columns: nr, leading: n, rowLSE: rowMax + pos0, colLSE: colLSE + c0,
                            scale: f.scale, split: split.map { $0 + at }, factors: shift.map { ($0, cf + c0) })
                    }
                    // dĤ_block += g·W₁ Ĝ ; dĜ += g·W₂ᵀ Ĥ_block (W₂ = W₁ without stop-gradient).
                    forEachRange(s, e) { c0, nr, at in
                        T.gemm(
                            .none, .none, m: rr, n: k, k: nr, alpha: gs, a: w + at, lda: n, b: d.c + c0 * k, ldb: k,
                            beta: 1, c: dh, ldc: k)
                        T.gemm(
                            .transpose, .none, m: nr, n: k, k: rr, alpha: gs, a: w2 + at, lda: n, b: a, ldb: k,
                            beta: 1, c: d.dC + c0 * k, ldc: k)
                    }
                    if let order, let dhBlock {
                        order.rows.withUnsafeBufferPointer {
                            scatterAddRows(dhBlock, order: $0.baseAddress! + pos0, rows: rr, k: k, into: d.dh)
                        }
                    }
                }
            }
        }

        if let order {  // dĜ back to the global order; the fraction of the pairs computed
            if k > 0 { ws.permuteRows(&ws.dCGlobal, k: k, order: order.columnPosition) }
            skeleton.lastPairFraction = b * B > 0 ? Double(pairs) / Double(b * B) : 1
        }
        let comm = skeleton.communicator
        let t0 = comm.wtime()
        try skeleton.reduceScatter().sum(&ws.dCGlobal, layout: skeleton.candidateLayout, into: &result.dSecond.storage)
        meter.commSeconds += comm.wtime() - t0
        meter.bytes += (B - b) * k * MemoryLayout<T>.stride
        addPositivePairs(f, into: &result) { q in (row(q), rowMax[q], colLSE[column(offset + row(q))]) }
        try finishFused(B, into: &result, loss: summedLoss, summed: true, meter: meter)
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
        let t0 = comm.wtime()
        try comm.allgather(ws.colStatsLocal, into: &ws.colStatsAll)
        meter.commSeconds += comm.wtime() - t0
        meter.bytes += (p - 1) * width * MemoryLayout<Scalar>.stride
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

    /// The fused all-gather plans' buffers: the gathered candidates, the whole b × B logits held
    /// between the two passes when they fit `holdElements` (else a block), the split
    /// row/column weights of a block with stop-gradient, and the B × k partial gradient of
    /// the candidates it reduce-scatters.
    static func allgatherWorkspace(_ s: LossShape) -> [LossBuffer] {
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
