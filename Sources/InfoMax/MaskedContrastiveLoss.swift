// InfoMax/MaskedContrastiveLoss.swift — the contrastive loss over a global batch split across
// ranks when each anchor names its own positive among the candidates and its own excluded
// candidates (the guided recipes of Zhang et al. 2023: an extra positive from a frozen guide,
// dropped false or easy negatives): the masked plan (Plans/MaskedPlan.swift) on the shared
// skeleton, and its one-process oracle `reference`.
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
/// most `blockElements` scalars (at least one row of N). Buffers are reused between calls.
public final class MaskedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public var communicator: Communicator { plan.skeleton.communicator }
    public var loss: ContrastiveLoss { plan.loss }
    public var blockElements: Int { plan.blockElements }
    private let plan: MaskedPlan<T>

    /// `loss.negatives` must be `.allOthers` (the targets say which candidates are excluded).
    /// `reduceScatter` chooses how the candidates' gradient is summed over ranks: the MPI
    /// library's reduce-scatter or the project's ring (`loss.reduce_scatter`).
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

    /// The sigmoid loss's scale t (> 0, finite; τ = 1/t) and bias b (finite) for the next calls —
    /// learned t or b change every step. Throws for the other objectives, or out of range.
    public func setSigmoidParameters(scale t: Double, bias: Double) throws {
        plan.loss = try loss.settingSigmoidParameters(scale: t, bias: bias)
    }

    /// The InfoNCE temperature τ (> 0, finite) for the next calls — a learned temperature
    /// changes every step (CLIP's θ = log(1/τ), its gradient ``thetaGradientShare``).
    /// Throws for the other objectives, or out of range.
    public func setTemperature(_ tau: Double) throws {
        plan.loss = try loss.settingTemperature(tau)
    }

    /// The global loss of local anchors `a` (b × k) and this rank's candidate block `c` (b × k)
    /// with `targets` for the local anchors; ∂L/∂A and ∂L/∂C (this rank's block) into `result`
    /// (`result.dPos` is left empty: the positives are candidates). Collective.
    public func evaluate(
        anchors a: Matrix<T>, candidates c: Matrix<T>, targets: AnchorTargets,
        into result: inout ContrastiveResult<T>
    ) throws {
        try plan.evaluate(anchors: a, candidates: c, targets: targets, into: &result)
    }

    /// The one-process oracle: the same loss from explicit loops on the whole batch (A, C: B × k).
    public static func reference(
        _ loss: ContrastiveLoss, anchors a: Matrix<T>, candidates c: Matrix<T>,
        targets: AnchorTargets
    ) -> (value: Double, dA: Matrix<T>, dC: Matrix<T>) {
        let B = a.rows
        let k = a.cols
        let an = RowNormalizer(a, cosine: loss.similarity == .cosine)
        let cn = RowNormalizer(c, cosine: loss.similarity == .cosine)
        let ah = an.normalized
        let ch = cn.normalized
        let g = loss.scale / loss.temperature
        func logit(_ i: Int, _ j: Int) -> Double {
            (0..<k).reduce(0.0) { $0 + Double(ah[i, $1]) * Double(ch[j, $1]) } * g
        }
        func negatives(_ i: Int) -> [Int] {
            let out = Set(targets.excluded[targets.offsets[i]..<targets.offsets[i + 1]]).union([targets.positives[i]])
            return (0..<B).filter { !out.contains($0) }
        }
        let pairs = Double((0..<B).reduce(0) { $0 + negatives($1).count })
        var dl = [[Double]](repeating: [Double](repeating: 0, count: B), count: B)
        var value = 0.0
        for i in 0..<B {
            let p = targets.positives[i]
            let lp = logit(i, p)
            let neg = negatives(i)
            if targets.dropsPositive(i) {
                // No positive term: InfoNCE and positive-only drop the row, spectral keeps its negatives.
                guard loss.objective == .spectral else { continue }
                for j in neg {
                    let l = logit(i, j)
                    value += l * l / pairs
                    dl[i][j] = 2 * l / pairs
                }
                continue
            }
            switch loss.objective {
            case .sigmoid:
                let vp = lp + loss.bias
                value += SigmoidLossMath.softplus(-vp) / Double(B)
                dl[i][p] = -SigmoidLossMath.sigmoid(-vp) / Double(B)
                for j in neg {
                    let v = logit(i, j) + loss.bias
                    value += SigmoidLossMath.softplus(v) / Double(B)
                    dl[i][j] = SigmoidLossMath.sigmoid(v) / Double(B)
                }
            case .positiveOnly:
                value -= lp / Double(B)
                dl[i][p] = -1 / Double(B)
            case .spectral:
                value -= 2 * lp / Double(B)
                dl[i][p] = -2 / Double(B)
                for j in neg {
                    let l = logit(i, j)
                    value += l * l / pairs
                    dl[i][j] = 2 * l / pairs
                }
            case .infoNCE:
                let mx = neg.reduce(lp) { m, j in Swift.max(m, logit(i, j)) }
                let sum = neg.reduce(Double.exp(lp - mx)) { $0 + Double.exp(logit(i, $1) - mx) }
                let z = mx + Double.log(sum)
                value += (z - lp) / Double(B)
                dl[i][p] = (Double.exp(lp - z) - 1) / Double(B)
                for j in neg { dl[i][j] = Double.exp(logit(i, j) - z) / Double(B) }
            }
        }
        var dAh = Matrix<T>(rows: B, cols: k)
        var dCh = Matrix<T>(rows: B, cols: k)
        for i in 0..<B {
            for j in 0..<B where dl[i][j] != 0 {
                for t in 0..<k {
                    dAh[i, t] += T(g * dl[i][j] * Double(ch[j, t]))
                    dCh[j, t] += T(g * dl[i][j] * Double(ah[i, t]))
                }
            }
        }
        let dC = loss.stopGradient ? Matrix<T>(rows: B, cols: k) : cn.backward(dCh)
        return (value, an.backward(dAh), dC)
    }
}
