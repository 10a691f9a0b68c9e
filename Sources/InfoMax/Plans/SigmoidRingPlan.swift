// InfoMax/Plans/SigmoidRingPlan.swift — SigLIP's sigmoid loss with the ring exchange: every
// rank's candidate block travels once around the ring (RingExchange.swift), the next block's
// transfer in flight while the rank computes on the block it holds. The sigmoid loss needs no
// row normalisation, so ONE sweep suffices: per row block the logits, the loss terms, the
// weights and both gradient gemms, then the block is dropped — the backward never reads kept
// logits, and each block's dC travels home one hop behind it. Memory: two candidate chunks,
// three gradient partials (maxb × k each) and one logits block: it does not grow with P.
import Linalg
import MPI

final class SigmoidRingPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, SigmoidPlan {
    var exchange: CandidateExchange { .ring }
    var rowsBringDC: Bool { true }

    func rows(
        _ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, terms: inout SigmoidLossMath.Terms,
        result: inout ContrastiveResult<Scalar>, meter: inout LossSkeleton<Scalar>.CallMeter
    ) throws {
        let ring = skeleton.ring()
        let b = f.b
        let k = f.k
        let maxb = f.maxb
        let offset = f.offset
        let wantDC = f.wantDC
        let counts = skeleton.counts
        let offsets = skeleton.offsets
        result.dA.reshape(rows: b, cols: k)
        result.dPos.reshape(rows: b, cols: k)
        fillZero(&result.dA.storage)
        fillZero(&result.dPos.storage)
        guard maxb > 0, k > 0 else { return }  // No candidates anywhere (or width 0).
        try ring.configure(elements: maxb * k, gradient: wantDC)
        let rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / maxb))
        let L = ws.logits.atLeast(rowsPerBlock * maxb)
        let row = ws.rowBlock.atLeast(maxb)
        let t = Scalar(loss.logitScale)
        let bias = Scalar(loss.bias)
        let scale = Scalar(loss.scale)
        let invB = 1 / Scalar(f.B)
        let labels = f.needLabels ? skeleton.labelsGlobal : []
        try f.withPointers(candidates: f.ch.storage, labels: labels, result: &result, spare: L) { d in
            if b > 0 {
                SigmoidLossMath.positives(
                    t: t, bias: bias, scale: scale, invB: invB, a: d.a, p: d.p, b: b, k: k, dA: d.dA, dP: d.dP,
                    terms: &terms)
            }
            try ring.sweep(own: d.c, counts: counts, offsets: offsets, k: k, gradient: wantDC) {
                chunk, n, chunkOffset, dC in
                try SigmoidLossMath.negatives(
                    t: t, bias: bias, scale: scale, invB: invB, a: d.a, b: b, k: k, chunk: chunk, n: n,
                    anchorOffset: offset, chunkOffset: chunkOffset, labels: d.labels, rowsPerBlock: rowsPerBlock,
                    logits: L, similarities: row, dA: d.dA, dC: dC, terms: &terms, between: { try ring.progress() })
            }
        }
        ring.book(into: &meter)
        if wantDC, b > 0 {
            result.dC.reshape(rows: b, cols: k)
            ring.copyOwnGradient(rows: b, k: k, into: &result.dC.storage)
        }
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) { s.sigmoidFlops }

    static func workspace(_ s: LossShape) -> [LossBuffer] {
        s.sigmoidPass.ringBuffers + [s.logitsBlock(width: s.maxb), s.similarityRow(width: s.maxb)]
    }
}
