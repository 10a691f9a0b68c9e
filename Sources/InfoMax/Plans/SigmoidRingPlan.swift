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
    static var exchange: CandidateExchange { .ring }

    func rows(
        _ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, terms: inout SigmoidLossMath.Terms,
        result: inout ContrastiveResult<Scalar>, meter: inout LossSkeleton<Scalar>.CallMeter
    ) throws {
        // No candidates anywhere (or width 0): nothing to compute, no sweep on any rank.
        guard let kernel = kernel(f, loss, width: f.maxb) else { return }
        let ring = skeleton.ring()
        try ring.configure(elements: f.maxb * f.k, gradient: f.wantDC)
        let (counts, offsets) = (skeleton.counts, skeleton.offsets)
        try f.withPointers(candidates: f.ch.storage, labels: labels(f), result: &result, spare: kernel.logits) { d in
            kernel.positives(d, rows: f.b, terms: &terms)
            try ring.sweep(own: d.c, counts: counts, offsets: offsets, k: f.k, gradient: f.wantDC) {
                chunk, n, chunkOffset, dC in
                try kernel.negatives(
                    d, rows: f.b, anchorOffset: f.offset, chunk: chunk, n: n, chunkOffset: chunkOffset, dC: dC,
                    terms: &terms, between: { try ring.progress() })
            }
        }
        ring.book(into: &meter)
        if f.wantDC, f.b > 0 {
            result.dC.reshape(rows: f.b, cols: f.k)
            ring.copyOwnGradient(rows: f.b, k: f.k, into: &result.dC.storage)
        }
    }
}
