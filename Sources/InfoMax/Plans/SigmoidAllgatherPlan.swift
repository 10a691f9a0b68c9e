// InfoMax/Plans/SigmoidAllgatherPlan.swift — SigLIP's sigmoid loss with the all-gather
// exchange: every rank gathers the N candidates, runs the kernel (SigmoidLossMath.swift) of its
// rows against all of them, and the candidate gradients are reduce-scattered to their owners.
import Linalg
import MPI

final class SigmoidAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, SigmoidPlan {
    static var exchange: CandidateExchange { .allgather }

    func rows(
        _ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, terms: inout SigmoidLossMath.Terms,
        result: inout ContrastiveResult<Scalar>, meter: inout LossSkeleton<Scalar>.CallMeter
    ) throws {
        try gatherCandidates(f.ch, globalRows: f.B, gradient: f.wantDC, meter: &meter)
        guard let kernel = kernel(f, loss, width: f.b > 0 ? f.B : 0) else { return }
        let ws = self.ws
        f.withPointers(candidates: ws.gathered, labels: labels(f), result: &result, spare: kernel.logits) { d in
            ws.dCGlobal.withUnsafeMutableBufferPointer { pdc in
                kernel.positives(d, rows: f.b, terms: &terms)
                kernel.negatives(
                    d, rows: f.b, anchorOffset: f.offset, chunk: d.c.baseAddress!, n: f.B, chunkOffset: 0,
                    dC: f.wantDC ? pdc.baseAddress : nil, terms: &terms, between: {})
            }
        }
    }
}
