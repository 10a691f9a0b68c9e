// InfoMax/Plans/LossPlan.swift — what every plan of the distributed loss offers: a resolved form
// that evaluates over the shared skeleton and workspace and, per plan type, its GEMM FLOPs and
// workspace for a shape (b, B, k, P), which `MemoryEstimate` and `infomax bench` ask. A new loss
// form is one plan file conforming here, its LossPlanKind case, the planner's decision and the
// facade's binding.
import Linalg
import MPI

/// One resolved form of the distributed loss (chosen by ``LossPlanner``).
protocol LossPlan<Scalar>: AnyObject {
    associatedtype Scalar: BLASScalar & MPIScalar
    var skeleton: LossSkeleton<Scalar> { get }
    var ws: LossWorkspace<Scalar> { get }
    /// GEMM FLOPs of one call for `shape`: executed by this plan, and by the unfused form.
    static func gemmFlops(_ shape: LossShape) -> (executed: Double, unfused: Double)
    /// The buffers this plan holds for `shape`, beyond the skeleton's (``LossShape/resultBuffers``).
    static func workspace(_ shape: LossShape) -> [LossBuffer]
}

/// What every plan holds: the skeleton, the workspace, the loss (a learned τ, t or β changes
/// between calls) and the bounds on the logits held at once.
class LossPlanBase<Scalar: BLASScalar & MPIScalar> {
    let skeleton: LossSkeleton<Scalar>, ws: LossWorkspace<Scalar>
    var loss: ContrastiveLoss
    let blockElements: Int, holdElements: Int

    init(
        _ skeleton: LossSkeleton<Scalar>, _ ws: LossWorkspace<Scalar>, loss: ContrastiveLoss, blockElements: Int,
        holdElements: Int = LossPlanner.holdElements
    ) {
        self.skeleton = skeleton
        self.ws = ws
        self.loss = loss
        self.blockElements = blockElements
        self.holdElements = holdElements
    }
}

extension LossPlan {
    /// The all-gather: every rank's candidates `c` into `ws.gathered` (N × k, rank order) and,
    /// when `gradient`, `ws.dCGlobal` sized to N × k zeros.
    func gatherCandidates(
        _ c: Matrix<Scalar>, globalRows B: Int, gradient: Bool, meter: inout LossSkeleton<Scalar>.CallMeter
    ) throws {
        let comm = skeleton.communicator
        try skeleton.candidateLayout.set(counts: skeleton.counts, scale: c.cols)
        try meter.communicate(comm, bytes: (B - c.rows) * c.cols * MemoryLayout<Scalar>.stride) {
            try comm.allgatherv(c.storage, into: &ws.gathered, layout: skeleton.candidateLayout)
        }
        if gradient { resizeZeroed(&ws.dCGlobal, B * c.cols) }
    }
}

/// A plan of the symmetric loss ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)].
protocol SymmetricPlan<Scalar>: LossPlan {
    func evaluateSymmetric(
        _ h: Matrix<Scalar>, _ g: Matrix<Scalar>, labels: [Int]?,
        into result: inout SymmetricContrastiveResult<Scalar>) throws
}

/// A plan of one direction L(A, Pos, C); its symmetric form is one call per direction.
protocol DirectionPlan<Scalar>: SymmetricPlan {
    func evaluate(
        anchors a: Matrix<Scalar>, positives pos: Matrix<Scalar>, candidates c: Matrix<Scalar>,
        labels: [Int]?, into result: inout ContrastiveResult<Scalar>) throws
}

extension DirectionPlan {
    func evaluateSymmetric(
        _ h: Matrix<Scalar>, _ g: Matrix<Scalar>, labels: [Int]?, into result: inout SymmetricContrastiveResult<Scalar>
    ) throws {
        try evaluate(anchors: h, positives: g, candidates: g, labels: labels, into: &ws.forward)
        let first = skeleton.lastStats
        try evaluate(anchors: g, positives: h, candidates: h, labels: labels, into: &ws.backward)
        skeleton.lastStats = first + skeleton.lastStats
        combineSymmetric(ws.forward, ws.backward, into: &result)
    }
}

/// The sizes a plan's costs depend on.
public struct LossShape: Sendable {
    public var loss: ContrastiveLoss
    /// `symmetric`: the two-direction call. b, B, maxb: this rank's, the global and the largest
    /// rank's rows; k: the width; P: the ranks; scalarBytes: the scalars' size.
    public var symmetric: Bool
    public var b: Int, B: Int, maxb: Int, k: Int, P: Int
    public var scalarBytes: Int
    public var blockElements = LossPlanner.blockElements, holdElements = LossPlanner.holdElements
    /// The fraction of the logit pairs computed (plans grouped by label: about ½ for two labels).
    public var pairFraction = 1.0

    public init(
        loss: ContrastiveLoss, symmetric: Bool, b: Int, B: Int, maxb: Int, k: Int, P: Int, scalarBytes: Int = 4
    ) {
        self.loss = loss
        self.symmetric = symmetric
        self.b = b
        self.B = B
        self.maxb = maxb
        self.k = k
        self.P = P
        self.scalarBytes = scalarBytes
    }

    /// FLOPs of one b × B × k gemm.
    var pairFlops: Double { 2 * Double(b) * Double(B) * Double(k) }
    /// The unfused GEMM FLOPs: per direction the logits and dA gemms, dC without stop-gradient,
    /// and the logits again in the ring's second InfoNCE sweep.
    func unfusedFlops(ring: Bool) -> Double {
        guard loss.needsCandidates else { return 0 }
        let perDirection = 2.0 + (loss.stopGradient ? 0 : 1) + (ring && loss.objective == .infoNCE ? 1 : 0)
        return (symmetric ? 2 : 1) * perDirection * pairFlops
    }
    var wantDC: Bool { loss.needsCandidates && !loss.stopGradient }
    /// Rows of a logits block of rows of `width`: at most blockElements, at least one row.
    func blockRows(width: Int) -> Int { Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / Swift.max(width, 1))) }

    /// The all-gather plans' candidates, their gradient and Open MPI's reduce-scatter temporaries.
    var gatheredBuffers: [LossBuffer] {
        var parts = [
            LossBuffer(
                "loss: gathered candidates" + (wantDC ? " and their gradient" : ""), global: true,
                [wantDC ? 2 : 1, B, k, scalarBytes])
        ]
        if wantDC {
            // MPI_Reduce_scatter's temporaries in Open MPI: about the whole buffer.
            parts.append(LossBuffer("loss: reduce-scatter temporaries (Open MPI)", global: true, [B, k, scalarBytes]))
        }
        return parts
    }

    /// A logits block of rows of `width`.
    func logitsBlock(width: Int) -> LossBuffer {
        LossBuffer(
            "loss: logits block (≤ 4 Mi scalars, ≥ one row)", global: false,
            [blockRows(width: width), width, scalarBytes])
    }

    /// The ring plans' candidate blocks (two chunks, three gradient partials) and row statistics.
    var ringBuffers: [LossBuffer] {
        [
            LossBuffer(
                "loss: ring candidate blocks", global: true,
                [2 + (wantDC ? 3 : 0), maxb, k, scalarBytes], [3, b, scalarBytes])
        ]
    }

    /// What every plan holds beside its own buffers: the results (dA, dPos, dC per direction;
    /// symmetric: two directions plus the combined pair), the cosine copies, the gathered labels.
    var resultBuffers: [LossBuffer] {
        let cosine = loss.similarity == .cosine
        var parts = [
            LossBuffer(
                "loss: embedding gradients" + (cosine ? " and normalised copies" : ""), global: true,
                [symmetric ? 3 * 2 + 2 : 3, b, k, scalarBytes])
        ]
        if cosine { parts[0].terms += [[3, b, k, scalarBytes], [3, b, scalarBytes]] }
        if loss.needsCandidates && loss.negatives == .oppositeLabel {
            parts.append(
                LossBuffer(
                    "loss: gathered labels", global: false,
                    [maxb + P * maxb + B, MemoryLayout<Int64>.stride]))
        }
        return parts
    }
}

/// A buffer of a plan: its name, whether its size grows with the width k (`global`: the
/// batch and width keys drive it; otherwise the batch keys), and its bytes as a sum of
/// products (kept as factors so that the caller can check them for overflow).
public struct LossBuffer: Sendable, Equatable {
    public var name: String
    public var global: Bool
    public var terms: [[Int]]

    public init(_ name: String, global: Bool, _ terms: [Int]...) {
        self.name = name
        self.global = global
        self.terms = terms
    }
}
