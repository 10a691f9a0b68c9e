// InfoMax/ContrastiveLoss.swift — the contrastive objectives (InfoNCE, positive-only,
// spectral, SigLIP's sigmoid) as one configuration, their result types, and the one-process reference that
// evaluates them on a whole batch with the dense B × B similarity matrix.
import Linalg

/// Which objective is computed from the logits ℓ_ij = s(a_i, c_j)/τ.
public enum ContrastiveObjective: String, Sendable, Codable, CaseIterable {
    /// InfoNCE: loss_i = −ℓ(a_i, pos_i) + log( e^{ℓ(a_i,pos_i)} + Σ_{j∈Neg(i)} e^{ℓ_ij} ), mean over anchors.
    case infoNCE
    /// The alignment term alone: −mean_i ℓ(a_i, pos_i).
    case positiveOnly
    /// Spectral contrastive loss (Zhang et al.): −2·mean_i ℓ(a_i, pos_i) + mean over pairs
    /// (i, j ∈ Neg(i)) of ℓ_ij². With `.dot`, scale 1, τ = 1 and `.allOthers` this is
    /// −2·mean_i f_iᵀg_i + mean_{i≠j} (f_iᵀg_j)².
    case spectral
    /// SigLIP's pairwise sigmoid loss (Zhai et al. 2023): with t = 1/τ (SigLIP's scale) and
    /// β = `bias`, L = −(1/B) Σ_i [ log σ(t·s(a_i, pos_i) + β) + Σ_{j∈Neg(i)} log σ(−(t·s(a_i, c_j) + β)) ].
    /// No normalisation over the batch; excluded candidates contribute nothing. See
    /// ``SigmoidLossMath`` for the gradients (∂L/∂t and ∂L/∂β too).
    case sigmoid
}

/// The similarity s(a, c) = scale · ⟨a, c⟩ (`.dot`) or scale · ⟨a/‖a‖, c/‖c‖⟩ (`.cosine`).
public enum SimilarityKind: String, Sendable, Codable, CaseIterable {
    case dot, cosine
}

/// Which candidates are negatives of anchor i (global index g).
public enum NegativeSet: String, Sendable, Codable, CaseIterable {
    /// Every candidate j ≠ g. Candidate g is excluded because it is the positive itself
    /// (CLIP form, candidates = positives) or the anchor itself (candidates = anchors).
    case allOthers
    /// Every candidate with y_j ≠ y_g (supervised-contrastive form, as in Huang et al.).
    case oppositeLabel
}

/// A contrastive loss on embeddings: anchors A (b × k), positives Pos (b × k, row-aligned
/// with A) and candidates C (N × k) that are row-aligned with the anchors over the GLOBAL
/// batch (candidate g belongs to the same sample as anchor g; N = B), with one label per
/// sample when `negatives == .oppositeLabel`.
///
/// Usage of the three papers and the ordinary variants:
/// - Huang et al., single-modal: A = h(x), Pos = h(x̂), C = h(x), `.paper(neurons:)`
///   (dot, scale 1/m, `.oppositeLabel`, stop-gradient; patch-wise embeddings). Because A and C
///   are the same embeddings, the caller adds dA and dC (dC is zero under stop-gradient).
/// - Huang et al., multi-modal: the symmetric form with h(x) and g(x̃) (see `evaluateSymmetric`).
/// - CLIP / standard InfoNCE: `.clip(temperature:)`, symmetric, C = Pos.
/// - Ren & Li: `.infoNCE` versus `.positiveOnly` on linear encoders.
/// - Zhang et al.: `.spectral`, f = A, g = Pos = C.
public struct ContrastiveLoss: Sendable, Equatable, Codable {
    public var objective: ContrastiveObjective
    public var similarity: SimilarityKind
    /// A factor inside s (the paper uses 1/m).
    public var scale: Double
    /// τ > 0; logits are s/τ.
    public var temperature: Double
    public var negatives: NegativeSet
    /// sg on the second argument of s: gradients flow only into the anchors, never into
    /// positives or candidates (dPos = dC = 0).
    public var stopGradient: Bool
    /// `.sigmoid` only: the bias β added to every logit (SigLIP's b); 0 and unused otherwise.
    public var bias: Double = 0

    /// `.sigmoid`: SigLIP's scale t = 1/τ, the factor of the similarity in every logit.
    public var logitScale: Double { 1 / temperature }

    public init(
        objective: ContrastiveObjective = .infoNCE, similarity: SimilarityKind = .dot, scale: Double = 1,
        temperature: Double = 1, negatives: NegativeSet = .allOthers, stopGradient: Bool = false
    ) {
        self.objective = objective
        self.similarity = similarity
        self.scale = scale
        self.temperature = temperature
        self.negatives = negatives
        self.stopGradient = stopGradient
    }

    /// Huang et al.'s exact form: dot similarity scaled by 1/m, opposite-label negatives,
    /// stop-gradient on the second argument.
    public static func paper(neurons m: Int, temperature: Double = 1) -> ContrastiveLoss {
        ContrastiveLoss(
            objective: .infoNCE, similarity: .dot, scale: 1 / Double(max(m, 1)), temperature: temperature,
            negatives: .oppositeLabel, stopGradient: true)
    }

    /// Standard InfoNCE as in CLIP: cosine similarity, all other samples as negatives, no
    /// stop-gradient (use it symmetrically with C = Pos).
    public static func clip(temperature: Double = 0.1) -> ContrastiveLoss {
        ContrastiveLoss(
            objective: .infoNCE, similarity: .cosine, scale: 1, temperature: temperature,
            negatives: .allOthers, stopGradient: false)
    }

    /// SigLIP's sigmoid loss with scale `t` (> 0; stored as τ = 1/t) and bias `bias`, SigLIP's
    /// initialisation t = 10, β = −10 by default; cosine similarity, all others as negatives.
    public static func sigmoid(
        scale t: Double = 10, bias: Double = -10, similarity: SimilarityKind = .cosine,
        negatives: NegativeSet = .allOthers, stopGradient: Bool = false
    ) -> ContrastiveLoss {
        var loss = ContrastiveLoss(
            objective: .sigmoid, similarity: similarity, scale: 1, temperature: 1 / t, negatives: negatives,
            stopGradient: stopGradient)
        loss.bias = bias
        return loss
    }

    /// Throws if an option is out of range.
    public func validate() throws {
        guard bias.isFinite else { throw InfoMaxError.invalidOption("sigmoid bias must be finite, got \(bias)") }
        guard temperature > 0, temperature.isFinite else {
            throw InfoMaxError.invalidOption("temperature must be positive and finite, got \(temperature)")
        }
        guard scale.isFinite else { throw InfoMaxError.invalidOption("similarity scale must be finite, got \(scale)") }
    }

    /// Whether this configuration needs the candidate embeddings (every objective but positive-only).
    public var needsCandidates: Bool { objective != .positiveOnly }
}

/// The learned parameters' setters, shared by the distributed losses (whose `setTemperature`
/// and `setSigmoidParameters` install the result): a learned τ, t or β changes every step.
extension ContrastiveLoss {
    /// This loss with the InfoNCE temperature τ (> 0, finite). Throws for the other objectives,
    /// or out of range.
    public func settingTemperature(_ tau: Double) throws -> ContrastiveLoss {
        guard objective == .infoNCE else {
            throw InfoMaxError.invalidOption("only the InfoNCE loss has a temperature to set")
        }
        var next = self
        next.temperature = tau
        try next.validate()
        return next
    }

    /// This loss with the sigmoid loss's scale t (> 0, finite; τ = 1/t) and bias β (finite).
    /// Throws for the other objectives, or out of range.
    public func settingSigmoidParameters(scale t: Double, bias: Double) throws -> ContrastiveLoss {
        guard objective == .sigmoid else {
            throw InfoMaxError.invalidOption("only the sigmoid loss has a scale and a bias to set")
        }
        guard t > 0, t.isFinite else {
            throw InfoMaxError.invalidOption("sigmoid scale must be positive and finite, got \(t)")
        }
        var next = self
        next.temperature = 1 / t
        next.bias = bias
        try next.validate()
        return next
    }
}

/// A loss value and its gradients with respect to the three operands.
public struct ContrastiveResult<T: BLASScalar>: Sendable {
    /// The loss (mean over the global anchors; identical on every rank).
    public var value: T
    /// ∂L/∂A, b × k (local rows).
    public var dA: Matrix<T>
    /// ∂L/∂Pos, b × k (zero under stop-gradient).
    public var dPos: Matrix<T>
    /// ∂L/∂C for the candidates this process owns (N × k in the one-process reference,
    /// the local block in the distributed loss); zero under stop-gradient or positive-only.
    public var dC: Matrix<T>
    /// `.sigmoid`: ∂L/∂t (t = 1/τ, SigLIP's scale) and ∂L/∂β over the global batch (the same on
    /// every rank); 0 for the other objectives.
    public var dLogitScale: Double = 0, dBias: Double = 0

    public init(value: T, dA: Matrix<T>, dPos: Matrix<T>, dC: Matrix<T>) {
        self.value = value
        self.dA = dA
        self.dPos = dPos
        self.dC = dC
    }

    /// An empty result (value 0, 0 × 0 matrices), to be filled by an `into:` evaluation.
    public init() {
        self.init(value: 0, dA: Matrix(rows: 0, cols: 0), dPos: Matrix(rows: 0, cols: 0), dC: Matrix(rows: 0, cols: 0))
    }
}

/// The symmetric (two-direction) loss of two embedding sets h and g and its gradients.
public struct SymmetricContrastiveResult<T: BLASScalar>: Sendable {
    /// ½ (L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)).
    public var value: T
    /// ∂/∂h (local rows).
    public var dFirst: Matrix<T>
    /// ∂/∂g (local rows).
    public var dSecond: Matrix<T>
    /// `.sigmoid`: ∂L/∂t and ∂L/∂β (see ``ContrastiveResult``); 0 otherwise.
    public var dLogitScale: Double = 0, dBias: Double = 0
    public init(value: T, dFirst: Matrix<T>, dSecond: Matrix<T>) {
        self.value = value
        self.dFirst = dFirst
        self.dSecond = dSecond
    }

    /// An empty result (value 0, 0 × 0 matrices), to be filled by an `into:` evaluation.
    public init() { self.init(value: 0, dFirst: Matrix(rows: 0, cols: 0), dSecond: Matrix(rows: 0, cols: 0)) }
}

extension ContrastiveLoss {
    func checkShapes<T>(_ a: Matrix<T>, _ pos: Matrix<T>, _ c: Matrix<T>, labels: [Int]?, candidatesGlobal: Bool) throws
    {
        guard pos.rows == a.rows, pos.cols == a.cols else {
            throw InfoMaxError.shapeMismatch(
                "positives are \(pos.rows)×\(pos.cols), anchors are \(a.rows)×\(a.cols); they must be row-aligned")
        }
        if needsCandidates {
            guard c.cols == a.cols else {
                throw InfoMaxError.shapeMismatch(
                    "candidates have \(c.cols) columns, anchors \(a.cols); embeddings must have the same width")
            }
            guard c.rows == a.rows else {
                throw InfoMaxError.shapeMismatch(
                    "\(candidatesGlobal ? "" : "local ")candidates have \(c.rows) rows, anchors \(a.rows); candidates must be row-aligned with the anchors (candidate g is sample g)"
                )
            }
        }
        if negatives == .oppositeLabel && objective != .positiveOnly {
            guard let labels else {
                throw InfoMaxError.missingLabels("negatives: .oppositeLabel needs one label per sample; pass labels")
            }
            guard labels.count == a.rows else {
                throw InfoMaxError.missingLabels(
                    "got \(labels.count) labels for \(a.rows) samples; pass one label per sample")
            }
        }
    }

    /// The one-process reference: the loss of the whole batch (A, Pos, C all B × k, row-aligned)
    /// and its gradients, from the dense B × B logits with explicit loops. Meant as the oracle
    /// for tests and small problems; ``DistributedContrastiveLoss`` computes the same values
    /// blockwise at any number of ranks.
    public func evaluate<T: BLASScalar>(
        anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>, labels: [Int]? = nil
    ) throws -> ContrastiveResult<T> {
        try validate()
        let cc = needsCandidates ? c : Matrix<T>(rows: a.rows, cols: a.cols)
        try checkShapes(a, pos, cc, labels: labels, candidatesGlobal: true)
        let B = a.rows
        let k = a.cols
        let an = RowNormalizer(a, cosine: similarity == .cosine)
        let pn = RowNormalizer(pos, cosine: similarity == .cosine)
        let cn = RowNormalizer(cc, cosine: similarity == .cosine)
        let ah = an.normalized
        let ph = pn.normalized
        let ch = cn.normalized
        let g = T(scale / temperature)
        func logit(_ x: Matrix<T>, _ i: Int, _ y: Matrix<T>, _ j: Int) -> T {
            var s: T = 0
            for t in 0..<k { s += x[i, t] * y[j, t] }
            return g * s
        }
        func isNegative(_ i: Int, _ j: Int) -> Bool {
            switch negatives {
            case .allOthers: return j != i
            case .oppositeLabel: return labels![j] != labels![i]
            }
        }
        var dAh = Matrix<T>(rows: B, cols: k)
        var dPh = Matrix<T>(rows: B, cols: k)
        var dCh = Matrix<T>(rows: B, cols: k)
        // dl[i][j]: ∂L/∂ℓ_ij for negatives, dlPos[i]: ∂L/∂ℓ(a_i, pos_i).
        var dl = Matrix<T>(rows: B, cols: B)
        var dlPos = [T](repeating: 0, count: B)
        var loss: Double = 0
        var dScale = 0.0
        var dBias = 0.0
        let invB = 1 / T(B)
        switch objective {
        case .positiveOnly:
            for i in 0..<B {
                loss -= Double(logit(ah, i, ph, i))
                dlPos[i] = -invB
            }
            loss /= Double(B)
        case .infoNCE:
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                var ls: [(Int, T)] = []
                for j in 0..<B where isNegative(i, j) { ls.append((j, logit(ah, i, ch, j))) }
                let mx = ls.reduce(lp) { Swift.max($0, $1.1) }
                var sum = T.exp(lp - mx)
                for (_, l) in ls { sum += T.exp(l - mx) }
                let lse = mx + T.log(sum)
                loss += Double(lse - lp)
                dlPos[i] = (T.exp(lp - lse) - 1) * invB
                for (j, l) in ls { dl[i, j] = T.exp(l - lse) * invB }
            }
            loss /= Double(B)
        case .sigmoid:
            // ℓ = t·S; per pair u = z(ℓ + β): loss softplus(−u), ∂L/∂ℓ = −(z/B)·σ(−u) (SigmoidLossMath).
            let beta = T(bias)
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                loss += Double(SigmoidLossMath.softplus(-(lp + beta)))
                dlPos[i] = -SigmoidLossMath.sigmoid(-(lp + beta)) * invB
                dBias += Double(dlPos[i])
                dScale += Double(dlPos[i] * lp)
                for j in 0..<B where isNegative(i, j) {
                    let l = logit(ah, i, ch, j)
                    loss += Double(SigmoidLossMath.softplus(l + beta))
                    dl[i, j] = SigmoidLossMath.sigmoid(l + beta) * invB
                    dBias += Double(dl[i, j])
                    dScale += Double(dl[i, j] * l)
                }
            }
            loss /= Double(B)
            dScale *= temperature  // ∂L/∂t = Σ ∂L/∂ℓ · ℓ/t
        case .spectral:
            var pairs = 0
            for i in 0..<B { for j in 0..<B where isNegative(i, j) { pairs += 1 } }
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                loss -= 2 * Double(lp) / Double(B)
                dlPos[i] = -2 * invB
                for j in 0..<B where isNegative(i, j) {
                    let l = logit(ah, i, ch, j)
                    loss += Double(l * l) / Double(pairs)
                    dl[i, j] = 2 * l / T(pairs)
                }
            }
        }
        for i in 0..<B {
            for t in 0..<k {
                dAh[i, t] += g * dlPos[i] * ph[i, t]
                dPh[i, t] += g * dlPos[i] * ah[i, t]
            }
            for j in 0..<B where dl[i, j] != 0 {
                for t in 0..<k {
                    dAh[i, t] += g * dl[i, j] * ch[j, t]
                    dCh[j, t] += g * dl[i, j] * ah[i, t]
                }
            }
        }
        let dA = an.backward(dAh)
        var dPos = pn.backward(dPh)
        var dC = cn.backward(dCh)
        if stopGradient {
            dPos = Matrix(rows: B, cols: k)
            dC = Matrix(rows: B, cols: k)
        }
        if !needsCandidates { dC = Matrix(rows: c.rows, cols: c.cols) }
        var result = ContrastiveResult(value: T(loss), dA: dA, dPos: dPos, dC: dC)
        result.dLogitScale = dScale
        result.dBias = dBias
        return result
    }

    /// The symmetric loss ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)] (multi-modal form;
    /// CLIP's loss with `.clip`), with ∂/∂h and ∂/∂g summed over both directions.
    public func evaluateSymmetric<T: BLASScalar>(_ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil) throws
        -> SymmetricContrastiveResult<T>
    {
        let r1 = try evaluate(anchors: h, positives: g, candidates: g, labels: labels)
        let r2 = try evaluate(anchors: g, positives: h, candidates: h, labels: labels)
        var result = SymmetricContrastiveResult<T>()
        combineSymmetric(r1, r2, into: &result)
        return result
    }
}

/// dh = ½ (r1.dA + r2.dPos + r2.dC), dg = ½ (r2.dA + r1.dPos + r1.dC) into `result`, reusing
/// its storage (no allocation once it has the shape).
func combineSymmetric<T: BLASScalar>(
    _ r1: ContrastiveResult<T>, _ r2: ContrastiveResult<T>, into result: inout SymmetricContrastiveResult<T>
) {
    func sum(_ x: Matrix<T>, _ y: Matrix<T>, _ z: Matrix<T>, into out: inout Matrix<T>) {
        out.reshape(rows: x.rows, cols: x.cols)
        x.storage.withUnsafeBufferPointer { px in
            y.storage.withUnsafeBufferPointer { py in
                z.storage.withUnsafeBufferPointer { pz in
                    out.storage.withUnsafeMutableBufferPointer { po in
                        for i in 0..<po.count { po[i] = ((px[i] + py[i]) + pz[i]) * 0.5 }
                    }
                }
            }
        }
    }
    sum(r1.dA, r2.dPos, r2.dC, into: &result.dFirst)
    sum(r2.dA, r1.dPos, r1.dC, into: &result.dSecond)
    result.value = (r1.value + r2.value) / 2
    result.dLogitScale = (r1.dLogitScale + r2.dLogitScale) / 2
    result.dBias = (r1.dBias + r2.dBias) / 2
}
