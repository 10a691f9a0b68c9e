// InfoMax/Plans/FusedRingPlan.swift — the symmetric InfoNCE with both directions from one
// similarity matrix, ring exchange. Sweep 1: the ĝ chunks travel; each rank folds S[R, J]
// into its online row statistics and into chunk J's column statistics, which travel one hop
// behind the chunk and arrive home complete (``TravellingPartial/statistics``); the owner adds
// the positive pairs and turns them into J's column log-sum-exps. Sweep 2: each chunk travels
// with its column log-sum-exps; S[R, J] is recomputed, turned into the weights of both
// directions, dĤ_R += g·W₁ Ĝ_J, and the partial dĜ_J = g·W₂ᵀ Ĥ_R travels home behind the
// chunk. Four b × maxb × k gemms per chunk for both directions (unfused: six with
// stop-gradient, eight without); memory a few blocks of maxb × (k + 2), never N × k.
import Linalg
import MPI

final class FusedRingPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedPlan {
    typealias T = Scalar

    func evaluateSymmetric(
        _ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?, into result: inout SymmetricContrastiveResult<T>
    ) throws {
        var meter = skeleton.meter()
        let f = try fusedStart(
            h, gm, labels: labels, labelKeys: loss.negatives == .oppositeLabel, gathered: false, into: &result,
            meter: &meter)
        let (maxb, b, k) = (f.maxb, f.b, f.k)
        var localLoss = 0.0
        let ring = skeleton.ring()

        if maxb > 0 && k > 0 {
            let chunkElements = maxb * (k + 2)  // a chunk's rows, then its column statistics or log-sum-exps
            try ring.configure(elements: chunkElements, gradient: true)
            let w = ws.logits.atLeast(f.rowsPerBlock * maxb)
            let pown = ws.ownPacked.zeroed(chunkElements)
            let (lp, rMax, rSum, cLSE) = (f.lp, f.rowMax, f.rowSum, f.colLSE)
            let own = UnsafeBufferPointer(start: pown, count: chunkElements)
            let lseOffset = maxb * k

            try withPointers(f, &result) { d in
                if b > 0 { pown.update(from: d.g, count: b * k) }
                positiveLogits(g: f.gs, a: d.h, p: d.g, b: b, k: k, into: lp)
                for i in 0..<b {
                    rMax[i] = lp[i]
                    rSum[i] = 1
                }
                /// One sweep: `body(chunk, n, partial, i0, rr)` after the logits of each row block
                /// i0 ..< i0 + rr against the chunk (n rows) into `w`; `partial` travels behind it.
                func sweep(
                    _ partials: TravellingPartial,
                    _ body: (UnsafePointer<T>, Int, UnsafeMutablePointer<T>, Int, Int) -> Void
                ) throws {
                    try ring.sweep(
                        own: own, counts: skeleton.counts, offsets: skeleton.offsets, k: k, gradient: true,
                        partials: partials
                    ) { chunk, n, chunkOffset, partial in
                        guard n > 0, b > 0, let partial else { return }
                        if partials == .statistics { partial.update(repeating: -.infinity, count: n) }
                        for i0 in stride(from: 0, to: b, by: f.rowsPerBlock) {
                            let rr = Swift.min(f.rowsPerBlock, b - i0)
                            fusedLogits(
                                g: f.gs, a: d.h + i0 * k, rows: rr, columns: .all(n), c: chunk, k: k, masked: true,
                                row0: f.offset + i0, column0: chunkOffset, labelKeys: f.keys, into: w)
                            body(chunk, n, partial, i0, rr)
                            try ring.progress()
                        }
                    }
                }
                // Sweep 1: row statistics here, column statistics travelling with their chunk.
                try sweep(.statistics) { _, n, stats, i0, rr in
                    fusedStatistics(
                        w, rows: rr, columns: .all(n), rowMax: rMax + i0, rowSum: rSum + i0, colMax: stats,
                        colSum: stats + n, colShift: f.colShift, blockMax: f.blockMax)
                }
                // This rank's columns: every rank's statistics plus the positive pair.
                let stats = ring.ownGradient
                for i in 0..<b {
                    var m = stats[i]
                    var sum = stats[b + i]
                    combineStatistics(&m, &sum, lp[i], 1)
                    cLSE[i] = m + T.log(sum)
                    pown[lseOffset + i] = cLSE[i]
                    let lse = rMax[i] + T.log(rSum[i])
                    localLoss += Double(lse - lp[i]) + Double(cLSE[i] - lp[i])
                    rMax[i] = lse  // from here on: the row log-sum-exps
                }
                // Sweep 2: weights of both directions, dĤ here, dĜ travelling home.
                try sweep(.sum) { chunk, n, dG, i0, rr in
                    fusedGradients(
                        w, split: f.split, rows: rr, columns: .all(n), rowLSE: rMax + i0, colLSE: chunk + lseOffset,
                        scale: f.scale, factors: nil, g: f.gs, k: k, c: chunk, a: d.h + i0 * k, dA: d.dh + i0 * k,
                        dC: dG)
                }
            }
            if b > 0 { ring.copyOwnGradient(rows: b, k: k, into: &result.dSecond.storage) }
        }
        ring.book(into: &meter)
        try finishFused(f, into: &result, loss: localLoss, summed: false, meter: meter) { i in
            (i, f.rowMax[i], f.colLSE[i])
        }
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        s.loss.needsCandidates ? (4 * s.pairFlops, s.unfusedFlops(ring: true)) : (0, 0)
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] { s.ringBuffers + [s.logitsBlock(width: s.maxb)] }
}
