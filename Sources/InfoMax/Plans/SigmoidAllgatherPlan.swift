// InfoMax/Plans/SigmoidAllgatherPlan.swift — SigLIP's sigmoid loss with the all-gather
// exchange: every rank gathers the N candidates, computes its rows against all of them in
// row blocks of at most `blockElements` logits (loss terms, weights and both gradient gemms
// per block, nothing kept), and the candidate gradients are reduce-scattered to their owners.
import Linalg
import MPI

final class SigmoidAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, SigmoidPlan {
    var exchange: CandidateExchange { .allgather }
    var rowsBringDC: Bool { false }

    func rows(
        _ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, terms: inout SigmoidLossMath.Terms,
        result: inout ContrastiveResult<Scalar>, meter: inout LossSkeleton<Scalar>.CallMeter
    ) throws {
        try gatherCandidates(f.ch, globalRows: f.B, gradient: f.wantDC, meter: &meter)
        let b = f.b
        let k = f.k
        let N = f.B
        result.dA.reshape(rows: b, cols: k)
        result.dPos.reshape(rows: b, cols: k)
        fillZero(&result.dA.storage)
        fillZero(&result.dPos.storage)
        guard b > 0, k > 0 else { return }
        let rowsPerBlock = Swift.max(1, Swift.min(b, blockElements / Swift.max(N, 1)))
        let L = ws.logits.atLeast(rowsPerBlock * N)
        let row = ws.rowBlock.atLeast(N)
        let t = Scalar(loss.logitScale)
        let bias = Scalar(loss.bias)
        let scale = Scalar(loss.scale)
        let invB = 1 / Scalar(N)
        let labels = f.needLabels ? skeleton.labelsGlobal : []
        let ws = self.ws
        f.withPointers(candidates: ws.gathered, labels: labels, result: &result, spare: L) { d in
            ws.dCGlobal.withUnsafeMutableBufferPointer { pdc in
                SigmoidLossMath.positives(
                    t: t, bias: bias, scale: scale, invB: invB, a: d.a, p: d.p, b: b, k: k, dA: d.dA, dP: d.dP,
                    terms: &terms)
                SigmoidLossMath.negatives(
                    t: t, bias: bias, scale: scale, invB: invB, a: d.a, b: b, k: k, chunk: d.c.baseAddress!, n: N,
                    anchorOffset: f.offset, chunkOffset: 0, labels: d.labels, rowsPerBlock: rowsPerBlock, logits: L,
                    similarities: row, dA: d.dA, dC: f.wantDC ? pdc.baseAddress : nil, terms: &terms, between: {})
            }
        }
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) { s.sigmoidFlops }

    static func workspace(_ s: LossShape) -> [LossBuffer] {
        s.sigmoidPass.gatheredBuffers + [s.logitsBlock(width: s.B), s.similarityRow(width: s.B)]
    }
}
