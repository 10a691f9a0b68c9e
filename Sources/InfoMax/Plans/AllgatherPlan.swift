// InfoMax/Plans/AllgatherPlan.swift — one direction L(A, Pos, C) with the all-gather exchange:
// every rank gathers the N candidates, computes its row block of logits in blocks of at most
// `blockElements` (RowBlockKernel.swift), and the candidate gradients are reduce-scattered to
// their owners. Also the plan of positive-only losses, which exchange no candidates.
import Linalg
import MPI

final class AllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, DirectionPlan {
    /// The exchange asked for (the ranks compare it; positive-only losses run here under either).
    let exchange: CandidateExchange

    init(
        _ skeleton: LossSkeleton<Scalar>, _ ws: LossWorkspace<Scalar>, loss: ContrastiveLoss, blockElements: Int,
        exchange: CandidateExchange
    ) {
        self.exchange = exchange
        super.init(skeleton, ws, loss: loss, blockElements: blockElements)
    }

    func evaluate(
        anchors a: Matrix<Scalar>, positives pos: Matrix<Scalar>, candidates c: Matrix<Scalar>,
        labels: [Int]?, into result: inout ContrastiveResult<Scalar>
    ) throws {
        let loss = self.loss
        try evaluateDirection(
            loss, exchange: exchange, anchors: a, positives: pos, candidates: c, labels: labels, into: &result
        ) { f, result, meter in
            if loss.needsCandidates {
                try gatherCandidates(f.ch, globalRows: f.B, gradient: f.wantDC, meter: &meter)
            } else {
                ws.gathered.removeAll(keepingCapacity: true)
            }
            let (labels, spare) = (f.needLabels ? skeleton.labelsGlobal : [], ws.logits.pointer)
            return f.withPointers(candidates: ws.gathered, labels: labels, result: &result, spare: spare) { d in
                ws.dCGlobal.withUnsafeMutableBufferPointer { pdc in
                    contrastiveRowBlock(
                        loss, f, d, blockElements: blockElements, logits: ws.logits,
                        dC: f.wantDC ? pdc.baseAddress : nil)
                }
            }
        }
    }

    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        (s.unfusedFlops(ring: false), s.unfusedFlops(ring: false))
    }

    static func workspace(_ s: LossShape) -> [LossBuffer] {
        guard s.loss.needsCandidates else { return [] }
        return s.gatheredBuffers + [s.logitsBlock(width: s.B)]
    }
}
