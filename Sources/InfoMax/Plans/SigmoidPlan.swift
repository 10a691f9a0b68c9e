// InfoMax/Plans/SigmoidPlan.swift — what both plans of SigLIP's sigmoid loss share: one pass is
// the shared start and end (DirectionCall.swift) around the plan's rows, ∂L/∂t and ∂L/∂β summed
// in the loss value's all-gather; a symmetric call is ONE pass over the pairs (see below).
import Linalg
import MPI

/// A plan of the sigmoid loss (``ContrastiveObjective/sigmoid``): it supplies this rank's rows.
///
/// The symmetric call. SigLIP's loss is one sum over all image × text pairs. The pair set is
/// symmetric: L(A=h, Pos=g, C=g) and L(A=g, Pos=h, C=h) sum the same terms (S_ij = s(h_i, g_j)
/// read by rows or by columns; the positive pairs (i, i) and the excluded pairs — j = i, or the
/// same label — are the same), so ½ [L(h→g) + L(g→h)], the symmetric form of every other
/// objective, IS SigLIP's sum. The plan computes it once: dh = ∂L/∂A, dg = ∂L/∂Pos + ∂L/∂C
/// of the one pass; with stop-gradient, the symmetric form's definition gives each direction
/// only its anchors' gradient, so dh = ½ ∂L/∂A and dg = ½ (∂L/∂Pos + ∂L/∂C), the pass run
/// without stop-gradient. Half the gemms of two directions (3 b×B×k per call, not 6).
protocol SigmoidPlan<Scalar>: DirectionPlan {
    var loss: ContrastiveLoss { get }
    var blockElements: Int { get }
    /// The ring brings this rank's dC home; the all-gather leaves it in `ws.dCGlobal`.
    static var exchange: CandidateExchange { get }
    /// This rank's rows of one pass of `loss`: dA, dPos (and, ring, dC) written, the raw sums
    /// (not yet divided by B) added to `terms`.
    func rows(
        _ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, terms: inout SigmoidLossMath.Terms,
        result: inout ContrastiveResult<Scalar>, meter: inout LossSkeleton<Scalar>.CallMeter) throws
}

extension SigmoidPlan {
    func evaluate(
        anchors a: Matrix<Scalar>, positives pos: Matrix<Scalar>, candidates c: Matrix<Scalar>,
        labels: [Int]?, into result: inout ContrastiveResult<Scalar>
    ) throws {
        try pass(loss, a, pos, c, labels, into: &result)
    }

    func evaluateSymmetric(
        _ h: Matrix<Scalar>, _ g: Matrix<Scalar>, labels: [Int]?, into result: inout SymmetricContrastiveResult<Scalar>
    ) throws {
        var both = loss
        both.stopGradient = false
        try pass(both, h, g, g, labels, into: &ws.forward)
        let r = ws.forward
        let f: Scalar = loss.stopGradient ? 0.5 : 1
        result.dFirst.reshape(rows: r.dA.rows, cols: r.dA.cols)
        result.dSecond.reshape(rows: r.dA.rows, cols: r.dA.cols)
        for i in r.dA.storage.indices {
            result.dFirst.storage[i] = f * r.dA.storage[i]
            result.dSecond.storage[i] = f * (r.dPos.storage[i] + r.dC.storage[i])
        }
        result.value = r.value
        result.dLogitScale = r.dLogitScale
        result.dBias = r.dBias
    }

    /// One pass of `loss` (A, Pos, C): the shared start, the rows, the sums (the loss value and
    /// ∂L/∂t, ∂L/∂β ride in one all-gather, added in rank order: the same bits on every rank).
    private func pass(
        _ loss: ContrastiveLoss, _ a: Matrix<Scalar>, _ pos: Matrix<Scalar>, _ c: Matrix<Scalar>,
        _ labels: [Int]?, into result: inout ContrastiveResult<Scalar>
    ) throws {
        let skeleton = self.skeleton
        if skeleton.parameterShares.count != 2 { skeleton.parameterShares = [0, 0] }
        try evaluateDirection(
            loss, exchange: Self.exchange, anchors: a, positives: pos, candidates: c, labels: labels, into: &result
        ) { f, result, meter in
            var terms = SigmoidLossMath.Terms()
            try rows(f, loss, terms: &terms, result: &result, meter: &meter)
            let invB = f.B > 0 ? 1 / Double(f.B) : 0
            skeleton.parameterShares[0] = terms.dScale * invB
            skeleton.parameterShares[1] = terms.dBias * invB
            return terms.loss * invB
        }
        result.dLogitScale = skeleton.parameterShares[0]
        result.dBias = skeleton.parameterShares[1]
    }

    /// The kernel over candidate chunks of at most `width` rows, or nil when there is nothing
    /// to compute.
    func kernel(_ f: DirectionInputs<Scalar>, _ loss: ContrastiveLoss, width: Int) -> SigmoidLossMath.Kernel<Scalar>? {
        guard width > 0, f.k > 0 else { return nil }
        let rowsPerBlock = Swift.max(1, Swift.min(Swift.max(f.b, 1), blockElements / width))
        return SigmoidLossMath.Kernel(
            t: Scalar(loss.logitScale), bias: Scalar(loss.bias), scale: Scalar(loss.scale), invB: 1 / Scalar(f.B),
            k: f.k, rowsPerBlock: rowsPerBlock, logits: ws.logits.atLeast(rowsPerBlock * width),
            similarities: ws.rowBlock.atLeast(width))
    }

    /// The labels the negatives need (empty unless `f.needLabels`).
    func labels(_ f: DirectionInputs<Scalar>) -> [Int64] { f.needLabels ? skeleton.labelsGlobal : [] }

    /// Per pass the logits gemm, dA and (without stop-gradient, or in a symmetric call) dC.
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        let perPass = 2.0 + (s.symmetric || !s.loss.stopGradient ? 1 : 0)
        return (perPass * s.pairFlops, s.unfusedFlops(ring: false))
    }

    /// The exchange's buffers for the pass a call runs (a symmetric call always computes dC),
    /// one logits block and one row of similarities.
    static func workspace(_ s: LossShape) -> [LossBuffer] {
        var pass = s
        if s.symmetric { pass.loss.stopGradient = false }
        let width = exchange == .ring ? s.maxb : s.B
        return (exchange == .ring ? pass.ringBuffers : pass.gatheredBuffers) + [
            s.logitsBlock(width: width),
            LossBuffer("loss: one row of similarities", global: false, [width, s.scalarBytes]),
        ]
    }
}
