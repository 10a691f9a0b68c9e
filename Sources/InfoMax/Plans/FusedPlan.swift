// InfoMax/Plans/FusedPlan.swift — the steps the fused symmetric InfoNCE plans share (both
// directions from one similarity matrix): their start (agree, normalise, the labels as
// scalars; the all-gather plans also gather ĝ and size their statistics), the column
// statistics combined across ranks, the positive pairs, and their end (reduce-scatter of dĜ,
// back through the normalisation, the loss / 2N, the call's stats).
import Linalg
import MPI

/// A plan that computes both directions of the symmetric InfoNCE at once.
protocol FusedPlan: SymmetricPlan {
    var loss: ContrastiveLoss { get }
    var exchange: CandidateExchange { get }
    var blockElements: Int { get }
    var holdElements: Int { get }
}

/// What every fused plan knows after its start: the global and local row counts, the width,
/// this rank's offset, its (normalised) rows of h and g, the logit scale g and the loss
/// weight 1/2N; the all-gather plans add their row-block plan.
struct FusedInputs<T: BLASScalar> {
    let B: Int, maxb: Int, b: Int, k: Int, offset: Int
    let hh: Matrix<T>, gh: Matrix<T>
    let gs: T, scale: T
    var hold = false, rowsPerBlock = 1
}

/// Raw pointers for the fused kernels: this rank's ĥ and ĝ rows, the gathered candidates and
/// their gradient (all-gather plans), dĤ and dĜ. Empty arrays point at a scratch scalar, which
/// nothing reads.
struct FusedPointers<T: BLASScalar> {
    let h: UnsafePointer<T>, g: UnsafePointer<T>, c: UnsafePointer<T>
    let dC: UnsafeMutablePointer<T>, dh: UnsafeMutablePointer<T>, dg: UnsafeMutablePointer<T>
}

/// A fused plan's loss before the 1/2N: this rank's share (summed over the ranks at the end),
/// or already the sum over the ranks (the all-gather plans fold it into the column statistics).
enum FusedLoss {
    case local(Double)
    case summed(Double)
}

extension FusedPlan {
    typealias Meter = LossSkeleton<Scalar>.CallMeter

    /// The start of every fused plan: agree with the other ranks, normalise the rows (cosine)
    /// and, for the masked opposite-label forms (`labelKeys`), hold the N labels as scalars
    /// (exact for |y| < 2²⁴ in Float) so that masking is a vector select.
    func fusedInputs(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?, labelKeys wantKeys: Bool, meter: inout Meter
    ) throws -> FusedInputs<Scalar> {
        let code = LossSkeleton<Scalar>.optionsCode(loss, exchange, fused: true)
        let (B, maxb) = try skeleton.agree(loss, h, gm, gm, labels: labels, code: code, meter: &meter)
        let cosine = loss.similarity == .cosine
        if cosine {
            normalizeRows(h, into: &ws.aHat, norms: &ws.aNorms)
            normalizeRows(gm, into: &ws.pHat, norms: &ws.pNorms)
        }
        if wantKeys {
            if ws.labelKeys.count != B { ws.labelKeys.zeroed(B) }
            for j in 0..<B { ws.labelKeys[j] = Scalar(skeleton.labelsGlobal[j]) }
        }
        return FusedInputs(
            B: B, maxb: maxb, b: h.rows, k: h.cols, offset: skeleton.offset,
            hh: cosine ? ws.aHat : h, gh: cosine ? ws.pHat : gm,
            gs: Scalar(loss.scale / loss.temperature), scale: 1 / Scalar(2 * B))
    }

    /// ``fusedInputs`` plus what both all-gather plans do next: gather every rank's ĝ rows,
    /// size the result and the statistics (the column maxima at −∞), and plan the row blocks
    /// (logits held between the passes when b × N ≤ `holdElements`).
    func fusedAllgatherSetup(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?, labelKeys: Bool,
        into result: inout SymmetricContrastiveResult<Scalar>, meter: inout Meter
    ) throws -> FusedInputs<Scalar> {
        var f = try fusedInputs(h, gm, labels: labels, labelKeys: labelKeys, meter: &meter)
        let B = f.B
        let b = f.b
        let k = f.k
        try gatherCandidates(f.gh, globalRows: B, gradient: true, meter: &meter)
        result.dFirst.reshape(rows: b, cols: k)
        result.dSecond.reshape(rows: b, cols: k)
        fillZero(&result.dFirst.storage)
        ws.positive.zeroed(b)
        ws.rowMax.zeroed(b)
        ws.rowSum.zeroed(b)
        ws.colSum.zeroed(B)
        ws.colMax.zeroed(B).update(repeating: -.infinity, count: B)
        ws.colShift.zeroed(B)
        ws.blockMax.zeroed(B)
        ws.colLSE.zeroed(B)
        f.hold = b * B <= holdElements
        f.rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / Swift.max(B, 1)))
        ws.logits.atLeast(f.hold ? b * B : f.rowsPerBlock * B)
        if loss.stopGradient { ws.splitWeights.atLeast(f.rowsPerBlock * B) }
        return f
    }

    /// All-gather plans: every rank's (max, sum-exp) statistics of the N columns (`colMax`,
    /// `colSum`) are gathered and combined in rank order (the same bits on every rank) into
    /// the column log-sum-exps `colLSE`. The loss rides along, so that it needs no collective
    /// of its own: each rank adds its rows' share Σᵢ (row LSEᵢ − 2·Sᵢᵢ) (`rowShare`, sent as
    /// two scalars, high and low part, ~48 bits in Float); returns the summed loss
    /// Σ_r rowShare_r + Σⱼ col LSEⱼ (before the 1/2N), the same on every rank.
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

    /// `body` over raw pointers to `f`'s rows, `ws.gathered`, `ws.dCGlobal` and `result`'s
    /// gradients: one closure for the kernels instead of a pyramid of `withUnsafe…`.
    func withPointers<R>(
        _ f: FusedInputs<Scalar>, _ result: inout SymmetricContrastiveResult<Scalar>,
        _ body: (FusedPointers<Scalar>) throws -> R
    ) rethrows -> R {
        let spare = ws.positive.pointer
        return try f.hh.storage.withUnsafeBufferPointer { ph in
            try f.gh.storage.withUnsafeBufferPointer { pg in
                try ws.gathered.withUnsafeBufferPointer { pc in
                    try ws.dCGlobal.withUnsafeMutableBufferPointer { pdc in
                        try result.dFirst.storage.withUnsafeMutableBufferPointer { pdh in
                            try result.dSecond.storage.withUnsafeMutableBufferPointer { pdg in
                                try body(
                                    FusedPointers(
                                        h: ph.baseAddress ?? UnsafePointer(spare),
                                        g: pg.baseAddress ?? UnsafePointer(spare),
                                        c: pc.baseAddress ?? UnsafePointer(spare), dC: pdc.baseAddress ?? spare,
                                        dh: pdh.baseAddress ?? spare, dg: pdg.baseAddress ?? spare))
                            }
                        }
                    }
                }
            }
        }
    }

    /// The positive pairs (S's diagonal) of the local rows, added to dĤ and dĜ. `row(q)` gives
    /// the q-th row's index, its row log-sum-exp and its column's log-sum-exp (the plans keep
    /// these in their own order).
    func addPositivePairs(
        _ f: FusedInputs<Scalar>, into result: inout SymmetricContrastiveResult<Scalar>,
        row: (Int) -> (i: Int, rowLSE: Scalar, colLSE: Scalar)
    ) {
        let k = f.k
        let gs = f.gs
        let scale = f.scale
        let stopGradient = loss.stopGradient
        let positive = ws.positive.pointer
        withPointers(f, &result) { d in
            for q in 0..<f.b {
                let (i, rowLSE, colLSE) = row(q)
                let lp = positive[i]
                let pii = Scalar.exp(lp - rowLSE) - 1
                let qii = Scalar.exp(lp - colLSE) - 1
                let d1 = gs * scale * (stopGradient ? pii : pii + qii)
                let d2 = gs * scale * (stopGradient ? qii : pii + qii)
                for t in 0..<k {
                    d.dh[i * k + t] += d1 * d.g[i * k + t]
                    d.dg[i * k + t] += d2 * d.h[i * k + t]
                }
            }
        }
    }

    /// The end of both all-gather plans: the dĜ partials (global column order) reduce-scattered
    /// to their owners, the positive pairs, then ``finishFused``.
    func finishFusedAllgather(
        _ f: FusedInputs<Scalar>, into result: inout SymmetricContrastiveResult<Scalar>, summedLoss: Double,
        meter: inout Meter, row: (Int) -> (i: Int, rowLSE: Scalar, colLSE: Scalar)
    ) throws {
        let comm = skeleton.communicator
        let t0 = comm.wtime()
        try skeleton.reduceScatter().sum(&ws.dCGlobal, layout: skeleton.candidateLayout, into: &result.dSecond.storage)
        meter.commSeconds += comm.wtime() - t0
        meter.bytes += (f.B - f.b) * f.k * MemoryLayout<Scalar>.stride
        addPositivePairs(f, into: &result, row: row)
        try finishFused(f.B, into: &result, loss: .summed(summedLoss), meter: meter)
    }

    /// The end of every fused plan: back through the normalisation, the loss / 2N (summed over
    /// the ranks if it is not yet), and the call's stats.
    func finishFused(
        _ B: Int, into result: inout SymmetricContrastiveResult<Scalar>, loss total: FusedLoss, meter: Meter
    ) throws {
        var meter = meter
        let comm = skeleton.communicator
        if loss.similarity == .cosine {
            backpropNormalization(&result.dFirst, normalized: ws.aHat, norms: ws.aNorms)
            backpropNormalization(&result.dSecond, normalized: ws.pHat, norms: ws.pNorms)
        }
        let value: Double
        switch total {
        case .local(let share):
            let t0 = comm.wtime()
            value = try skeleton.sumLossShares(share / Double(2 * Swift.max(B, 1)), bytes: &meter.bytes)
            meter.commSeconds += comm.wtime() - t0
        case .summed(let sum):
            value = sum / Double(2 * Swift.max(B, 1))
        }
        result.value = Scalar(value)
        skeleton.lastStats = meter.stats(at: comm.wtime())
    }

    /// The fused all-gather plans' buffers: the gathered candidates, the whole b × B logits held
    /// between the two passes when they fit `holdElements` (else a block), the split
    /// row/column weights of a block with stop-gradient, and the B × k partial gradient of
    /// the candidates it reduce-scatters.
    static func fusedAllgatherWorkspace(_ s: LossShape) -> [LossBuffer] {
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

    /// Executed by a fused plan: `gemms` b × B × k gemms for both directions (three with the
    /// logits held, four otherwise), over the computed pairs only.
    static func fusedFlops(
        _ s: LossShape, gemms: Double, ring: Bool, pairFraction: Double
    ) -> (executed: Double, unfused: Double) {
        guard s.loss.needsCandidates else { return (0, 0) }
        return (gemms * s.pairFlops * pairFraction, s.unfusedFlops(ring: ring))
    }
}
