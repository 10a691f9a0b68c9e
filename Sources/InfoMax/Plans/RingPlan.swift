// InfoMax/Plans/RingPlan.swift — one direction L(A, Pos, C) with the ring exchange: every
// rank's candidate block travels around the ring (RingExchange.swift); InfoNCE sweeps twice
// (online row log-sum-exps, then the gradients, each chunk's dC travelling home behind it),
// spectral once. Grouped by label (opposite-label negatives): every rank's rows, and so every
// travelling chunk, sorted by label; a block of one label's rows meets only other labels.
import Linalg
import MPI

final class RingPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, DirectionPlan {
    typealias T = Scalar
    /// Whether the rows are grouped by label (opposite-label negatives only; otherwise every
    /// pair is computed and masked).
    let grouped: Bool

    init(_ skeleton: LossSkeleton<T>, _ ws: LossWorkspace<T>, loss: ContrastiveLoss, blockElements: Int, grouped: Bool)
    {
        self.grouped = grouped && loss.needsCandidates && loss.negatives == .oppositeLabel
        super.init(skeleton, ws, loss: loss, blockElements: blockElements)
    }

    func evaluate(
        anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>,
        labels: [Int]?, into result: inout ContrastiveResult<T>
    ) throws {
        try evaluateDirection(
            loss, exchange: .ring, anchors: a, positives: pos, candidates: c, labels: labels, into: &result
        ) { f, result, meter in
            let ring = skeleton.ring()
            defer { ring.book(into: &meter) }
            let width = grouped ? sortRingRows(b: f.b, offset: f.offset) : f.maxb
            return try rows(ring, f, width: width, result: &result)
        }
    }

    /// This rank's rows: dA, dPos and, when `f.wantDC`, this rank's dC (b × k, before the
    /// normalisation backward); returns this rank's share of the loss. Grouped (after
    /// ``sortRingRows``): the per-row statistics are kept by sorted position, and each block's dA
    /// is added back to its rows. `width`: the most columns a block computes at once.
    private func rows(
        _ ring: RingExchange<T>, _ f: DirectionInputs<T>, width: Int, result: inout ContrastiveResult<T>
    ) throws -> Double {
        let (b, k, B, offset, grouped) = (f.b, f.k, f.B, f.offset, self.grouped)
        skeleton.lastPairFraction = 1
        guard f.maxb > 0, k > 0 else { return 0 }  // No candidates anywhere (or width 0): as `.allgather`.
        try ring.configure(elements: f.maxb * k, gradient: f.wantDC)
        // Grouped, a block's logits and its anchor rows and their dA (rows × (width + 2k)) stay
        // within blockElements, and never take more rows than the masked form.
        let maskedRows = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / f.maxb))
        let rowsPerBlock =
            grouped ? Swift.max(1, Swift.min(maskedRows, blockElements / (Swift.max(width, 1) + 2 * k))) : maskedRows
        let L = ws.logits.atLeast(rowsPerBlock * Swift.max(width, 1))
        let (lp, mx, sm) = (ws.positive.zeroed(b), ws.rowMax.zeroed(b), ws.rowSum.zeroed(b))
        let scratch = grouped ? ws.rowBlock.atLeast(rowsPerBlock * k) : L
        let dRowsBlock = grouped ? ws.rowGradient.atLeast(rowsPerBlock * k) : L
        let g = T(loss.scale / loss.temperature)
        let invB = 1 / T(B)
        let infoNCE = loss.objective == .infoNCE
        let labelsGlobal = grouped ? ws.ringLabels : f.needLabels ? skeleton.labelsGlobal : []
        let order = grouped ? ws.rowOrder : []
        var total = 0.0
        var computedPairs = 0

        try f.withPointers(candidates: f.ch.storage, labels: labelsGlobal, result: &result, spare: L) { d in
            try order.withUnsafeBufferPointer { po in
                let (a, dA) = (d.a, d.dA)
                // Grouped: the sorted order, this rank's sorted labels, and every chunk's (by offset).
                let po0 = grouped ? po.baseAddress : nil
                let yb = grouped ? d.labels?.baseAddress : nil
                /// Pass 1 or 2 (``ringChunkPass``) on every chunk's blocks (``forEachRingBlock``), pass
                /// 2's dC travelling home; returns the pairs computed and the passes' loss share.
                func sweep(gradient: Bool) throws -> (pairs: Int, loss: Double) {
                    var pairs = 0
                    var share = 0.0
                    try ring.sweep(
                        own: d.c, ownOrder: grouped ? po : nil, counts: skeleton.counts, offsets: skeleton.offsets,
                        k: k, gradient: gradient && f.wantDC
                    ) { chunk, n, chunkOffset, dC in
                        pairs += try forEachRingBlock(
                            anchors: a, rows: b, k: k, order: po0, rowLabels: yb.map { $0 + offset },
                            columnLabels: yb.map { $0 + chunkOffset }, columns: n, rowsPerBlock: rowsPerBlock,
                            scratch: scratch
                        ) { q0, rr, anchors, c0, c1 in
                            let dRows = grouped ? dRowsBlock : dA
                            if grouped && gradient { dRows.update(repeating: 0, count: rr * k) }
                            share += try ringChunkPass(
                                gradient: gradient, loss, f, a: anchors, rows: rr, chunk: chunk + c0 * k, n: c1 - c0,
                                anchorOffset: offset + q0, chunkOffset: chunkOffset + c0, labels: d.labels,
                                rowsPerBlock: rowsPerBlock, logits: L, rowMax: mx + q0, rowSum: sm + q0, dA: dRows,
                                dC: dC.map { $0 + c0 * k }, between: { try ring.progress() })
                            if gradient, let po0 { scatterAddRows(dRows, order: po0 + q0, rows: rr, k: k, into: dA) }
                        }
                    }
                    return (pairs, share)
                }
                // The positive logits, where the online log-sum-exps start (InfoNCE).
                for q in 0..<b {
                    let i = po0?[q] ?? q
                    lp[q] = g * T.dot(n: k, x: a + i * k, y: d.p + i * k)
                    mx[q] = lp[q]
                    sm[q] = 1
                }
                if infoNCE {
                    _ = try sweep(gradient: false)  // (InfoNCE's loss is in the lse)
                    for q in 0..<b {
                        let lse = mx[q] + T.log(sm[q])
                        total += Double(lse - lp[q])
                        mx[q] = lse
                    }
                }
                let pass2 = try sweep(gradient: true)  // (spectral: the only pass)
                computedPairs = pass2.pairs
                total += pass2.loss
                for q in 0..<b {
                    if !infoNCE { total -= 2 * Double(lp[q]) / Double(B) }
                    let dl = infoNCE ? (T.exp(lp[q] - mx[q]) - 1) * invB : -2 * invB
                    addPositiveGradient(g: g, dl: dl, row: po0?[q] ?? q, k: k, a: a, p: d.p, dA: dA, dP: d.dP)
                }
            }
        }
        if f.wantDC, b > 0 {
            // This rank's summed dC, its rows in chunk order (sorted when grouped).
            result.dC.reshape(rows: b, cols: k)
            ring.copyOwnGradient(rows: b, k: k, order: grouped ? ws.rowOrder : nil, into: &result.dC.storage)
        }
        if grouped && b * B > 0 { skeleton.lastPairFraction = Double(computedPairs) / Double(b * B) }
        return infoNCE ? total / Double(B) : total
    }

    /// The ring's label order: `ws.rowOrder` (sorted position → this rank's row, by (label,
    /// row)) and `ws.ringLabels`, the N labels with every rank's segment sorted as its chunk
    /// travels. Returns the widest column range a block of this rank's rows meets in any chunk.
    private func sortRingRows(b: Int, offset: Int) -> Int {
        let (labelsGlobal, counts, offsets) = (skeleton.labelsGlobal, skeleton.counts, skeleton.offsets)
        var minLabel = Int64.max
        for i in 0..<b { minLabel = Swift.min(minLabel, labelsGlobal[offset + i]) }
        ws.sortByLabel(count: b, label: { labelsGlobal[offset + $0] &- minLabel }, into: &ws.rowOrder)
        ws.ringLabels.removeAll(keepingCapacity: true)
        ws.ringLabels.append(contentsOf: labelsGlobal)
        var widest = 0
        ws.ringLabels.withUnsafeMutableBufferPointer { py in
            guard let y = py.baseAddress else { return }
            for r in 0..<counts.count where counts[r] > 1 {
                UnsafeMutableBufferPointer(rebasing: py[offsets[r]..<offsets[r] + counts[r]]).heapSort(by: <)
            }
            for r in 0..<counts.count {
                forEachOppositeLabelRange(
                    rowLabels: y + offset, rows: b, columnLabels: y + offsets[r], columns: counts[r]
                ) { _, _, c0, c1 in
                    widest = Swift.max(widest, c1 - c0)
                }
            }
        }
        return widest
    }

    /// Executed: the unfused count, over the opposite-label pairs only when grouped.
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        let unfused = s.unfusedFlops(ring: true)
        let grouped = s.loss.negatives == .oppositeLabel
        return (unfused * (grouped ? s.pairFraction : 1), unfused)
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] {
        guard s.loss.needsCandidates else { return [] }
        return s.ringBuffers + [s.logitsBlock(width: s.maxb)]
    }
}
