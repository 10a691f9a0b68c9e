// InfoMax/Plans/FusedPlan.swift — the steps the fused symmetric InfoNCE plans share (both
// directions from one similarity matrix): their start (agree, normalise, the labels as
// scalars, the gradients sized, the row blocks planned), the positive pairs, and their end
// (back through the normalisation, the loss / 2N, the call's stats).
import Linalg
import MPI

/// A plan that computes both directions of the symmetric InfoNCE at once.
protocol FusedPlan: SymmetricPlan where Self: LossPlanBase<Scalar> {}

/// What every fused plan knows after its start: the global, largest and local row counts, the
/// width, this rank's offset, its (normalised) rows of h and g, the logit scale g, the loss
/// weight 1/2N and the rows of a block (≤ `blockElements` logits, at least one row); and its
/// scratch: per local row the positive logit and the (max, sum-exp) statistics, per column
/// of a block a shift and a maximum, the column log-sum-exps (all N gathered, else the local
/// b), a block's split weights (stop-gradient) and the N labels as scalars (label masks).
struct FusedInputs<T: BLASScalar> {
    let B: Int, maxb: Int, b: Int, k: Int, offset: Int
    let hh: Matrix<T>, gh: Matrix<T>
    let gs: T, scale: T
    let rowsPerBlock: Int
    let lp: UnsafeMutablePointer<T>, rowMax: UnsafeMutablePointer<T>, rowSum: UnsafeMutablePointer<T>
    let colShift: UnsafeMutablePointer<T>, blockMax: UnsafeMutablePointer<T>, colLSE: UnsafeMutablePointer<T>
    let split: UnsafeMutablePointer<T>?, keys: UnsafePointer<T>?
}

/// Raw pointers for the fused kernels: ĥ and ĝ, the gathered candidates and their gradient
/// (all-gather), dĤ and dĜ; those of empty arrays point at a scratch scalar nothing reads.
struct FusedPointers<T: BLASScalar> {
    let h: UnsafePointer<T>, g: UnsafePointer<T>, c: UnsafePointer<T>
    let dC: UnsafeMutablePointer<T>, dh: UnsafeMutablePointer<T>, dg: UnsafeMutablePointer<T>
}

extension FusedPlan {
    typealias Meter = LossSkeleton<Scalar>.CallMeter

    /// The start of every fused plan: agree with the other ranks, normalise the rows (cosine),
    /// for the masked opposite-label forms (`labelKeys`) hold the N labels as scalars (exact
    /// for |y| < 2²⁴ in Float) so that masking is a vector select, size dĤ (zeros) and dĜ, and
    /// plan the row blocks (rows of N logits when `gathered` (all-gather), of maxb over the ring).
    func fusedStart(
        _ h: Matrix<Scalar>, _ gm: Matrix<Scalar>, labels: [Int]?, labelKeys wantKeys: Bool, gathered: Bool,
        into result: inout SymmetricContrastiveResult<Scalar>, meter: inout Meter
    ) throws -> FusedInputs<Scalar> {
        let code = LossSkeleton<Scalar>.optionsCode(loss, gathered ? .allgather : .ring, fused: true)
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
        let b = h.rows
        let width = gathered ? B : maxb
        result.dFirst.reshape(rows: b, cols: h.cols)
        result.dSecond.reshape(rows: b, cols: h.cols)
        fillZero(&result.dFirst.storage)
        let rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / Swift.max(width, 1)))
        let split: UnsafeMutablePointer<Scalar>? =
            loss.stopGradient ? ws.splitWeights.atLeast(rowsPerBlock * width) : nil
        let keys: UnsafePointer<Scalar>? = wantKeys ? UnsafePointer(ws.labelKeys.pointer) : nil
        let gs = Scalar(loss.scale / loss.temperature)
        let scale: Scalar = 1 / Scalar(2 * B)
        return FusedInputs(
            B: B, maxb: maxb, b: b, k: h.cols, offset: skeleton.offset, hh: cosine ? ws.aHat : h,
            gh: cosine ? ws.pHat : gm, gs: gs, scale: scale, rowsPerBlock: rowsPerBlock, lp: ws.positive.zeroed(b),
            rowMax: ws.rowMax.zeroed(b), rowSum: ws.rowSum.zeroed(b), colShift: ws.colShift.zeroed(width),
            blockMax: ws.blockMax.zeroed(width), colLSE: ws.colLSE.zeroed(gathered ? B : b), split: split, keys: keys)
    }

    /// `body` over the pointers to `f`'s rows, `ws.gathered`, `ws.dCGlobal` and `result`'s gradients.
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

    /// The end of every fused plan: the positive pairs (S's diagonal, logits `f.lp`) added to
    /// dĤ and dĜ (`row(q)`: the q-th local row's index, row and column log-sum-exps, in the
    /// plan's own order), back through the normalisation, the loss / 2N (first summed over the
    /// ranks unless it is already, `summed`), and the call's stats.
    func finishFused(
        _ f: FusedInputs<Scalar>, into result: inout SymmetricContrastiveResult<Scalar>, loss total: Double,
        summed: Bool, meter: Meter, row: (Int) -> (i: Int, rowLSE: Scalar, colLSE: Scalar)
    ) throws {
        let k = f.k
        let stopGradient = loss.stopGradient
        if k > 0 {
            withPointers(f, &result) { d in
                for q in 0..<f.b {
                    let (i, rowLSE, colLSE) = row(q)
                    let pii = Scalar.exp(f.lp[i] - rowLSE) - 1
                    let qii = Scalar.exp(f.lp[i] - colLSE) - 1
                    let d1 = f.gs * f.scale * (stopGradient ? pii : pii + qii)
                    let d2 = f.gs * f.scale * (stopGradient ? qii : pii + qii)
                    for t in 0..<k {
                        d.dh[i * k + t] += d1 * d.g[i * k + t]
                        d.dg[i * k + t] += d2 * d.h[i * k + t]
                    }
                }
            }
        }
        var meter = meter
        if loss.similarity == .cosine {
            backpropNormalization(&result.dFirst, normalized: ws.aHat, norms: ws.aNorms)
            backpropNormalization(&result.dSecond, normalized: ws.pHat, norms: ws.pNorms)
        }
        let value: Double
        if summed {
            value = total / Double(2 * Swift.max(f.B, 1))
        } else {
            value = try skeleton.sumLossShares(total / Double(2 * Swift.max(f.B, 1)), meter: &meter)
        }
        result.value = Scalar(value)
        skeleton.record(meter)
    }
}
