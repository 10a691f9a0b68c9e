// InfoMax/Plans/DirectionCall.swift — what every one-direction plan does around its rows: agree
// with the other ranks, normalise (cosine), count the spectral pairs; then sum the loss shares,
// bring dC to its owners or zero it, and back through the normalisation.
import Linalg
import MPI

/// What a one-direction plan's rows work on: the sizes, the spectral pair count, and this
/// rank's (normalised) anchors, positives and candidates.
struct DirectionInputs<T: BLASScalar> {
    let B: Int, maxb: Int, b: Int, k: Int, offset: Int, pairs: Int
    let needLabels: Bool, wantDC: Bool
    let ah: Matrix<T>, ph: Matrix<T>, ch: Matrix<T>
}

extension DirectionPlan {
    /// One direction: the shared start, `rows` (this rank's share of the loss; it gets dA and dPos
    /// as b × k zeros and writes them, and dC too over the ring; all-gather plans leave the summed
    /// candidate gradient in `ws.dCGlobal` for the reduce-scatter), the shared end.
    func evaluateDirection(
        _ loss: ContrastiveLoss, exchange: CandidateExchange, anchors a: Matrix<Scalar>,
        positives pos: Matrix<Scalar>, candidates c: Matrix<Scalar>, labels: [Int]?,
        into result: inout ContrastiveResult<Scalar>,
        rows: (
            DirectionInputs<Scalar>, inout ContrastiveResult<Scalar>, inout LossSkeleton<Scalar>.CallMeter
        ) throws -> Double
    ) throws {
        var meter = skeleton.meter()
        let cosine = loss.similarity == .cosine
        let needC = loss.needsCandidates
        let needLabels = needC && loss.negatives == .oppositeLabel
        let (B, maxb) = try skeleton.agree(
            loss, a, pos, c, labels: labels, code: LossSkeleton<Scalar>.optionsCode(loss, exchange), meter: &meter)
        if cosine {
            normalizeRows(a, into: &ws.aHat, norms: &ws.aNorms)
            normalizeRows(pos, into: &ws.pHat, norms: &ws.pNorms)
            if needC { normalizeRows(c, into: &ws.cHat, norms: &ws.cNorms) }
        }
        let pairs =
            loss.objective == .spectral
            ? negativePairCount(
                loss.negatives, labels: needLabels ? skeleton.labelsGlobal : nil, count: B,
                scratch: &ws.pairScratch) : 0
        let wantDC = needC && !loss.stopGradient
        let inputs = DirectionInputs(
            B: B, maxb: maxb, b: a.rows, k: a.cols, offset: skeleton.offset, pairs: pairs, needLabels: needLabels,
            wantDC: wantDC, ah: cosine ? ws.aHat : a, ph: cosine ? ws.pHat : pos, ch: cosine ? ws.cHat : c)
        result.dA.reshape(rows: a.rows, cols: a.cols)
        result.dPos.reshape(rows: a.rows, cols: a.cols)
        fillZero(&result.dA.storage)
        fillZero(&result.dPos.storage)
        let localLoss = try rows(inputs, &result, &meter)

        // Sum the loss; the all-gather plans send the candidate gradients to their owners.
        let value = try skeleton.sumLossShares(localLoss, meter: &meter)
        result.dC.reshape(rows: needC ? a.rows : c.rows, cols: needC ? a.cols : c.cols)
        if !wantDC {
            fillZero(&result.dC.storage)
        } else if exchange == .allgather {
            try skeleton.sumCandidateGradient(&ws.dCGlobal, into: &result.dC.storage, width: a.cols, meter: &meter)
        }

        if cosine {
            backpropNormalization(&result.dA, normalized: ws.aHat, norms: ws.aNorms)
            if !loss.stopGradient { backpropNormalization(&result.dPos, normalized: ws.pHat, norms: ws.pNorms) }
            if wantDC { backpropNormalization(&result.dC, normalized: ws.cHat, norms: ws.cNorms) }
        }
        if loss.stopGradient { fillZero(&result.dPos.storage) }
        result.value = Scalar(value)
        skeleton.record(meter)
    }
}

/// Raw pointers to a direction's rows for its kernels; those of empty rows point at a scratch
/// scalar, which nothing reads. `labels`: the N global labels, when the negatives need them.
struct DirectionPointers<T: BLASScalar> {
    let a: UnsafePointer<T>, p: UnsafePointer<T>, c: UnsafeBufferPointer<T>
    let labels: UnsafeBufferPointer<Int64>?
    let dA: UnsafeMutablePointer<T>, dP: UnsafeMutablePointer<T>
}

extension DirectionInputs {
    /// `body` over raw pointers to the anchors, positives, `candidates`, `labels` (nil unless
    /// ``needLabels``) and `result`'s dA and dPos; `spare`: the scalar of empty rows.
    func withPointers<R>(
        candidates: [T], labels: [Int64], result: inout ContrastiveResult<T>, spare: UnsafeMutablePointer<T>,
        _ body: (DirectionPointers<T>) throws -> R
    ) rethrows -> R {
        try ah.storage.withUnsafeBufferPointer { pa in
            try ph.storage.withUnsafeBufferPointer { pp in
                try candidates.withUnsafeBufferPointer { pc in
                    try labels.withUnsafeBufferPointer { py in
                        try result.dA.storage.withUnsafeMutableBufferPointer { pdA in
                            try result.dPos.storage.withUnsafeMutableBufferPointer { pdP in
                                try body(
                                    DirectionPointers(
                                        a: pa.baseAddress ?? UnsafePointer(spare),
                                        p: pp.baseAddress ?? UnsafePointer(spare), c: pc,
                                        labels: needLabels ? py : nil, dA: pdA.baseAddress ?? spare,
                                        dP: pdP.baseAddress ?? spare))
                            }
                        }
                    }
                }
            }
        }
    }
}
