// InfoMax/MaskedContrastiveLoss.swift — the distributed contrastive loss when each anchor names
// its own positive among the candidates and its own excluded candidates (the guided recipes of
// Zhang et al. 2023: an extra positive from a frozen guide, dropped false or easy negatives or
// false positives): the targets, and the public face of Plans/MaskedPlan.swift.
import Linalg
import MPI

/// Each anchor's positive and excluded candidates, as global candidate rows (rank order).
public struct AnchorTargets: Sendable, Equatable {
    /// The positive candidate of each local anchor.
    public var positives: [Int]
    /// Candidates that are neither positive nor negative for the anchor, per local anchor
    /// (CSR: row r's are `excluded[offsets[r]..<offsets[r + 1]]`; a listed positive is ignored).
    public var offsets: [Int]
    public var excluded: [Int]
    /// Per local anchor, whether its positive pair is dropped ("DropFalsePositive"; empty: none
    /// is): such a row has no positive term — InfoNCE and positive-only drop the row, spectral
    /// keeps its negatives — and its positive is no negative either. The mean stays over all B.
    public var withoutPositive: [Bool]

    public init(positives: [Int], offsets: [Int]? = nil, excluded: [Int] = [], withoutPositive: [Bool] = []) {
        self.positives = positives
        self.offsets = offsets ?? [Int](repeating: 0, count: positives.count + 1)
        self.excluded = excluded
        self.withoutPositive = withoutPositive
    }

    /// Whether local anchor r's positive pair is dropped.
    @inlinable public func dropsPositive(_ r: Int) -> Bool { !withoutPositive.isEmpty && withoutPositive[r] }
}

/// A ``ContrastiveLoss`` (negatives: all candidates but the anchor's positive and its excluded
/// ones) whose global batch is split across ranks. Loss i over its positive p(i) and negatives
/// N(i) = {j ∉ {p(i)} ∪ D(i)}: InfoNCE −ℓ_ip + log(e^{ℓ_ip} + Σ_{N(i)} e^{ℓ_ij}), mean over the B
/// anchors; spectral −2 mean_i ℓ_ip + Σ_i Σ_{N(i)} ℓ_ij² / Σ_i |N(i)|; positive-only −mean_i ℓ_ip;
/// sigmoid (SigLIP, ℓ = t·S) (1/B) Σ_i [softplus(−(ℓ_ip + b)) + Σ_{N(i)} softplus(ℓ_ij + b)].
/// With p(i) = i and no exclusions it is the `.allOthers` loss with C = Pos.
///
/// Memory per rank: the N × k gathered candidates and their gradient, and a logits block of at
/// most `blockElements` scalars (at least one row of N), reused between calls.
public final class MaskedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public var communicator: Communicator { plan.skeleton.communicator }
    public var loss: ContrastiveLoss { plan.loss }
    public var blockElements: Int { plan.blockElements }
    private let plan: MaskedPlan<T>

    /// `loss.negatives` must be `.allOthers` (the targets say which candidates are excluded);
    /// `reduceScatter` sums the candidates' gradient over the ranks (`loss.reduce_scatter`).
    public init(
        communicator: Communicator, loss: ContrastiveLoss,
        blockElements: Int = LossPlanner.blockElements, reduceScatter: LossReduceScatter = .mpi
    ) throws {
        try loss.validate()
        guard loss.negatives == .allOthers else {
            throw InfoMaxError.invalidOption(
                "a masked loss takes its exclusions from the targets; use negatives .allOthers")
        }
        guard blockElements >= 1 else {
            throw InfoMaxError.invalidOption("blockElements must be at least 1, got \(blockElements)")
        }
        plan = MaskedPlan(
            LossSkeleton(communicator: communicator, reduceScatter: reduceScatter), LossWorkspace(), loss: loss,
            blockElements: blockElements)
    }

    /// This rank's share of the last ``evaluate``'s ∂L/∂θ, θ = log(1/τ) (InfoNCE), or
    /// ∂L/∂(log t) (sigmoid): the ranks' shares sum to the global value (see
    /// ``TemperatureGradient`` for why it is exact); 0 for the other objectives.
    public var thetaGradientShare: Double { plan.thetaShare }
    /// Sigmoid: this rank's share of the last ``evaluate``'s ∂L/∂b; 0 for the other objectives.
    public var biasGradientShare: Double { plan.biasShare }

    /// The sigmoid loss's learned scale t and bias b for the next calls
    /// (``ContrastiveLoss/settingSigmoidParameters(scale:bias:)``).
    public func setSigmoidParameters(scale t: Double, bias: Double) throws {
        plan.loss = try loss.settingSigmoidParameters(scale: t, bias: bias)
    }

    /// The InfoNCE loss's learned temperature τ for the next calls
    /// (``ContrastiveLoss/settingTemperature(_:)``).
    public func setTemperature(_ tau: Double) throws {
        plan.loss = try loss.settingTemperature(tau)
    }

    /// The global loss of local anchors `a` (b × k) and this rank's candidate block `c` (b × k)
    /// with `targets` for the local anchors; ∂L/∂A and ∂L/∂C (this rank's block) into `result`
    /// (`result.dPos` is left empty: the positives are candidates). Collective.
    public func evaluate(
        anchors a: Matrix<T>, candidates c: Matrix<T>, targets: AnchorTargets, into result: inout ContrastiveResult<T>
    ) throws {
        try plan.evaluate(anchors: a, candidates: c, targets: targets, into: &result)
    }
}
