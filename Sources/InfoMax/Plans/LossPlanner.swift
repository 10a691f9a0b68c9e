// InfoMax/Plans/LossPlanner.swift — the one place that decides which plan a distributed loss
// runs (from the objective, the exchange, the negatives and whether the call is symmetric),
// and the defaults of its bounds; the loss, `MemoryEstimate` and `infomax bench` all ask here.
import Linalg
import MPI

/// The forms of the distributed loss, one plan type each.
public enum LossPlanKind: String, Sendable, CaseIterable {
    /// One direction, all-gather exchange (AllgatherPlan); also every positive-only loss.
    case allgather
    /// One direction, ring exchange, every pair computed (opposite-label pairs masked).
    case ring
    /// One direction, ring exchange, rows grouped by label (opposite-label negatives).
    case groupedRing
    /// Symmetric InfoNCE, both directions at once, all-gather exchange (opposite labels masked).
    case fusedAllgather
    /// ``fusedAllgather`` grouped by label: same-label pairs never computed.
    case groupedAllgather
    /// Symmetric InfoNCE, both directions at once, ring exchange.
    case fusedRing
    /// Each anchor names its positive and its excluded candidates (MaskedContrastiveLoss).
    case masked
    /// SigLIP's sigmoid loss, all-gather exchange (a symmetric call is one pass over the pairs).
    case sigmoidAllgather
    /// SigLIP's sigmoid loss, ring exchange: one sweep, nothing kept between blocks.
    case sigmoidRing

    /// Whether the plan computes one direction (a symmetric call runs it once per direction).
    public var isDirection: Bool { self == .allgather || self == .ring || self == .groupedRing || isSigmoid }

    /// Whether the plan computes the sigmoid loss (and only it).
    public var isSigmoid: Bool { self == .sigmoidAllgather || self == .sigmoidRing }

    /// The plan's type (its costs do not depend on the scalar type).
    var plan: any LossPlan.Type {
        switch self {
        case .allgather: return AllgatherPlan<Float>.self
        case .ring, .groupedRing: return RingPlan<Float>.self
        case .fusedAllgather: return FusedAllgatherPlan<Float>.self
        case .groupedAllgather: return GroupedAllgatherPlan<Float>.self
        case .fusedRing: return FusedRingPlan<Float>.self
        case .masked: return MaskedContrastiveLoss<Float>.self
        case .sigmoidAllgather: return SigmoidAllgatherPlan<Float>.self
        case .sigmoidRing: return SigmoidRingPlan<Float>.self
        }
    }

    /// GEMM FLOPs of one call of this plan for `shape` (executed, and by the unfused form).
    public func gemmFlops(_ shape: LossShape) -> (executed: Double, unfused: Double) {
        shape.loss.needsCandidates ? plan.gemmFlops(shape) : (0, 0)
    }

    /// The buffers a loss object running this plan holds for `shape`: the plan's own and, but
    /// for the masked plan (which counts its own), ``LossShape/resultBuffers``.
    public func workspace(_ shape: LossShape) -> [LossBuffer] {
        plan.workspace(shape) + (self == .masked ? [] : shape.resultBuffers)
    }
}

/// The decision, made once per loss object at set-up.
public enum LossPlanner {
    /// Upper bound on the logits held at once by default (4 Mi scalars).
    public static let blockElements = 1 << 22
    /// The fused all-gather plans hold the whole b × N logits between their passes up to this many.
    public static let holdElements = 1 << 24

    /// The plan of `loss` over `exchange`, for symmetric calls or one direction. The symmetric
    /// InfoNCE is fused over the all-gather (grouped by label for opposite-label negatives);
    /// over the ring each direction runs on its own (FusedRingPlan's column statistics and
    /// second exponential per pair cost more than the two gemms it saves at small k: it is
    /// there to be chosen explicitly). Ring directions with opposite-label negatives are grouped
    /// by label; positive-only losses run the all-gather plan under either exchange.
    public static func kind(of loss: ContrastiveLoss, exchange: CandidateExchange, symmetric: Bool) -> LossPlanKind {
        if loss.objective == .sigmoid { return exchange == .ring ? .sigmoidRing : .sigmoidAllgather }
        if symmetric && loss.objective == .infoNCE && exchange == .allgather {
            return loss.negatives == .oppositeLabel ? .groupedAllgather : .fusedAllgather
        }
        guard loss.needsCandidates else { return .allgather }
        switch exchange {
        case .allgather: return .allgather
        case .ring: return loss.negatives == .oppositeLabel ? .groupedRing : .ring
        }
    }
}
