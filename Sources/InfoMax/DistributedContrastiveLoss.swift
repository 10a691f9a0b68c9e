// InfoMax/DistributedContrastiveLoss.swift — the contrastive losses over a global batch split
// across ranks, the façade of the loss plans: the form of the loss is resolved once, at set-up,
// into plans (Plans/, chosen by LossPlanner) that share one exchange skeleton (LossSkeleton)
// and one workspace (LossWorkspace). Every plan equals the one-process loss to float rounding.
import Linalg
import MPI

/// A ``ContrastiveLoss`` whose global batch is split across the ranks of a communicator.
///
/// Each rank passes its LOCAL anchors A (b × k), positives Pos (b × k) and candidate block
/// C (b × k, the candidates of the same samples as its anchors) and, for `.oppositeLabel`,
/// its b labels. Ranks may hold different b (also 0); the global order is rank order. Every
/// rank gets the same loss value, ∂L/∂A and ∂L/∂Pos for its own rows, and ∂L/∂C for its own
/// candidate block (summed over every rank's anchors). All ranks must call together, with the
/// same `loss`, `exchange`, plan and embedding width (a mismatch throws on every rank).
///
/// Memory per rank: the plan's buffers (``LossPlanKind/workspace(_:)``): the N × k gathered
/// candidates (all-gather) or five maxb × k ring blocks, a logits block of at most
/// `blockElements` scalars, the N labels; the B × B matrix is never formed.
///
/// Allocation: the `into:` forms reuse the caller's result matrices and this object's
/// buffers; after the first call with a given shape they allocate nothing (as long as the
/// caller holds no other reference to the result's matrices, which would force a copy on write).
/// The returning forms allocate only their results.
public final class DistributedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public var communicator: Communicator { skeleton.communicator }
    /// The objective and its options (the sigmoid loss's t and β change with
    /// ``setSigmoidParameters(scale:bias:)``, a learned InfoNCE temperature with ``setTemperature(_:)``).
    public private(set) var loss: ContrastiveLoss
    /// How candidates are exchanged.
    public let exchange: CandidateExchange
    /// Which reduce-scatter the all-gather plans sum the candidates' gradient with.
    public var reduceScatter: LossReduceScatter { skeleton.reduceScatterChoice }
    /// How ``evaluateSymmetric(_:_:labels:into:)`` combines its two directions (the plans
    /// compute the mean; `.sum` doubles value and gradients, exactly).
    public let reduction: SymmetricReduction
    /// Upper bound on the logits held at once (rows of N, or of maxb for the ring; the ring
    /// grouped by label: rows of its widest opposite-label range plus those rows' anchors and
    /// dA); ``LossPlanner/blockElements`` by default.
    public let blockElements: Int
    /// Fused all-gather plans: the b × N logits are kept from the statistics pass to the
    /// gradient pass when they fit in this many scalars (three gemms per row block), otherwise
    /// each row block's logits are computed twice (four).
    public let holdElements: Int
    /// The plan of one-direction calls (``evaluate(anchors:positives:candidates:labels:into:)``)
    /// and of symmetric ones (``evaluateSymmetric(_:_:labels:into:)``).
    public let directionKind: LossPlanKind, symmetricKind: LossPlanKind
    /// Timing and volume of the last `evaluate` (or both directions of `evaluateSymmetric`).
    public var lastStats: ContrastiveCallStats { skeleton.lastStats }
    /// The fraction of the b × N logit pairs the last call computed (1 unless grouped by
    /// label: then the opposite-label pairs, about ½ for two balanced labels).
    public var lastPairFraction: Double { skeleton.lastPairFraction }

    private let skeleton: LossSkeleton<T>
    private let direction: Direction
    private let symmetric: Symmetric
    /// Both plans (the same object when symmetric calls run the direction plan twice).
    private let plans: [LossPlanBase<T>]

    /// The plans, held by their concrete types: calls dispatch statically, so that the plans'
    /// code specialises with the scalar type as the facade does (an existential would not).
    private enum Direction {
        case allgather(AllgatherPlan<T>)
        case ring(RingPlan<T>)
        case sigmoidAllgather(SigmoidAllgatherPlan<T>)
        case sigmoidRing(SigmoidRingPlan<T>)
        func evaluate(
            _ a: Matrix<T>, _ pos: Matrix<T>, _ c: Matrix<T>, _ labels: [Int]?, _ result: inout ContrastiveResult<T>
        ) throws {
            switch self {
            case .allgather(let plan):
                try plan.evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
            case .ring(let plan):
                try plan.evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
            case .sigmoidAllgather(let plan):
                try plan.evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
            case .sigmoidRing(let plan):
                try plan.evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
            }
        }
    }

    private enum Symmetric {
        case twoDirections(Direction)
        case fusedAllgather(FusedAllgatherPlan<T>)
        case groupedAllgather(GroupedAllgatherPlan<T>)
        case fusedRing(FusedRingPlan<T>)
    }

    /// - Parameters:
    ///   - communicator: the ranks that share the global batch.
    ///   - loss: the objective and its options.
    ///   - exchange: how candidates reach every rank (the result is the same either way).
    ///   - blockElements: upper bound on the logits held at once (at least 1).
    ///   - holdElements: see ``holdElements``.
    ///   - plan: forces a plan (tests compare them); by default ``LossPlanner`` decides. A
    ///     one-direction plan also serves symmetric calls, once per direction.
    ///   - reduction: how symmetric calls combine the two directions (see ``reduction``).
    ///   - reduceScatter: the MPI library's reduce-scatter of the candidates' gradient, or the
    ///     project's ring (see ``LossReduceScatter``; every rank must pass the same).
    public init(
        communicator: Communicator, loss: ContrastiveLoss, exchange: CandidateExchange = .allgather,
        blockElements: Int = LossPlanner.blockElements, holdElements: Int = LossPlanner.holdElements,
        plan: LossPlanKind? = nil, reduction: SymmetricReduction = .mean, reduceScatter: LossReduceScatter = .mpi
    ) throws {
        try loss.validate()
        guard blockElements >= 1 else {
            throw InfoMaxError.invalidOption("blockElements must be at least 1, got \(blockElements)")
        }
        guard plan != .masked else { throw InfoMaxError.invalidOption("the masked plan is MaskedContrastiveLoss's") }
        if let plan, plan.isSigmoid != (loss.objective == .sigmoid) {
            throw InfoMaxError.invalidOption(
                "plan \(plan.rawValue) does not compute the \(loss.objective.rawValue) objective; the sigmoid plans compute the sigmoid loss and only it"
            )
        }
        self.loss = loss
        self.exchange = exchange
        self.reduction = reduction
        self.blockElements = blockElements
        self.holdElements = holdElements
        skeleton = LossSkeleton(communicator: communicator, reduceScatter: reduceScatter)
        let ws = LossWorkspace<T>()
        directionKind =
            plan.flatMap { $0.isDirection ? $0 : nil }
            ?? LossPlanner.kind(of: loss, exchange: exchange, symmetric: false)
        symmetricKind = plan ?? LossPlanner.kind(of: loss, exchange: exchange, symmetric: true)
        let directionPlan: LossPlanBase<T>
        switch directionKind {
        case .sigmoidAllgather:
            let plan = SigmoidAllgatherPlan(skeleton, ws, loss: loss, blockElements: blockElements)
            (direction, directionPlan) = (.sigmoidAllgather(plan), plan)
        case .sigmoidRing:
            let plan = SigmoidRingPlan(skeleton, ws, loss: loss, blockElements: blockElements)
            (direction, directionPlan) = (.sigmoidRing(plan), plan)
        case .ring, .groupedRing:
            let plan = RingPlan(
                skeleton, ws, loss: loss, blockElements: blockElements, grouped: directionKind == .groupedRing)
            (direction, directionPlan) = (.ring(plan), plan)
        default:
            let plan = AllgatherPlan(skeleton, ws, loss: loss, blockElements: blockElements, exchange: exchange)
            (direction, directionPlan) = (.allgather(plan), plan)
        }
        let symmetricPlan: LossPlanBase<T>
        switch symmetricKind {
        case .fusedAllgather:
            let plan = FusedAllgatherPlan(
                skeleton, ws, loss: loss, blockElements: blockElements, holdElements: holdElements)
            (symmetric, symmetricPlan) = (.fusedAllgather(plan), plan)
        case .groupedAllgather:
            let plan = GroupedAllgatherPlan(
                skeleton, ws, loss: loss, blockElements: blockElements, holdElements: holdElements)
            (symmetric, symmetricPlan) = (.groupedAllgather(plan), plan)
        case .fusedRing:
            let plan = FusedRingPlan(skeleton, ws, loss: loss, blockElements: blockElements)
            (symmetric, symmetricPlan) = (.fusedRing(plan), plan)
        case .allgather, .ring, .groupedRing, .masked, .sigmoidAllgather, .sigmoidRing:
            (symmetric, symmetricPlan) = (.twoDirections(direction), directionPlan)
        }
        plans = [directionPlan, symmetricPlan]
    }

    /// The sigmoid loss's scale t (> 0, finite; τ = 1/t) and bias β (finite) for the next calls —
    /// a learned t or β changes every step. Throws for the other objectives, or out of range.
    public func setSigmoidParameters(scale t: Double, bias: Double) throws {
        setLoss(try loss.settingSigmoidParameters(scale: t, bias: bias))
    }

    /// The InfoNCE temperature τ (> 0, finite) for the next calls — a learned temperature
    /// changes every step. Throws for the other objectives, or out of range.
    public func setTemperature(_ tau: Double) throws {
        setLoss(try loss.settingTemperature(tau))
    }

    private func setLoss(_ next: ContrastiveLoss) {
        loss = next
        for plan in plans { plan.loss = next }
    }

    /// GEMM floating-point operations of one call on a rank holding `b` of the `B` global rows
    /// (embedding width k; `symmetric`: a call of ``evaluateSymmetric(_:_:labels:into:)``):
    /// `executed` by this object's plan, `unfused` by one ``evaluate`` per direction. Plans
    /// grouped by label count the pairs of the last call.
    public func gemmFlops(
        localRows b: Int, globalRows B: Int, width k: Int, symmetric: Bool
    ) -> (executed: Double, unfused: Double) {
        var shape = LossShape(
            loss: loss, symmetric: symmetric, b: b, B: B, maxb: b, k: k, P: communicator.size,
            scalarBytes: MemoryLayout<T>.stride)
        shape.blockElements = blockElements
        shape.holdElements = holdElements
        shape.pairFraction = lastPairFraction
        return (symmetric ? symmetricKind : directionKind).gemmFlops(shape)
    }

    /// The loss of the global batch and this rank's gradients (see the type's documentation).
    /// Allocates its result; ``evaluate(anchors:positives:candidates:labels:into:)`` does not.
    public func evaluate(
        anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>, labels: [Int]? = nil
    ) throws -> ContrastiveResult<T> {
        var result = ContrastiveResult<T>()
        try evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
        return result
    }

    /// ``evaluate(anchors:positives:candidates:labels:)`` into `result`, whose matrices are
    /// reshaped (dA, dPos: b × k; dC: b × k, or C's shape for positive-only) and overwritten.
    /// No allocation after the first call with a given shape, for either exchange.
    public func evaluate(
        anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>,
        labels: [Int]? = nil, into result: inout ContrastiveResult<T>
    ) throws {
        try direction.evaluate(a, pos, c, labels, &result)
    }

    /// The symmetric loss over the global batch — ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)],
    /// or their sum with ``reduction`` `.sum` — (h, g: this rank's rows of the two embeddings),
    /// with ∂/∂h and ∂/∂g of this rank's rows.
    /// `lastStats` covers both directions. Allocates its result;
    /// ``evaluateSymmetric(_:_:labels:into:)`` does not.
    public func evaluateSymmetric(
        _ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil
    ) throws -> SymmetricContrastiveResult<T> {
        var result = SymmetricContrastiveResult<T>()
        try evaluateSymmetric(h, g, labels: labels, into: &result)
        return result
    }

    /// ``evaluateSymmetric(_:_:labels:)`` into `result`, whose matrices are reshaped and
    /// overwritten. No allocation after the first call with a given shape.
    public func evaluateSymmetric(
        _ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil, into result: inout SymmetricContrastiveResult<T>
    ) throws {
        switch symmetric {
        case .twoDirections(.allgather(let plan)): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .twoDirections(.ring(let plan)): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .twoDirections(.sigmoidAllgather(let plan)):
            try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .twoDirections(.sigmoidRing(let plan)): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .fusedAllgather(let plan): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .groupedAllgather(let plan): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        case .fusedRing(let plan): try plan.evaluateSymmetric(h, g, labels: labels, into: &result)
        }
        if reduction == .sum {
            // Every plan computes the mean; doubling is exact, so this is the sum bit for bit.
            result.value *= 2
            scale(&result.dFirst, by: 2)
            scale(&result.dSecond, by: 2)
            result.dLogitScale *= 2
            result.dBias *= 2
        }
    }
}
