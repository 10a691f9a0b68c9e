// InfoMax/ContrastiveLoss.swift — the contrastive objectives (InfoNCE, positive-only, spectral,
// SigLIP's sigmoid) as one configuration, its checks and setters, and the result types.
// (The one-process reference that evaluates it densely is a test oracle: Tests/ReferenceLoss.)
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
/// with A) and candidates C (N × k) row-aligned with the anchors over the GLOBAL batch
/// (candidate g is sample g; N = B), with one label per sample for `.oppositeLabel`. Usage:
/// - Huang et al., single-modal: A = h(x), Pos = h(x̂), C = h(x), `.paper(neurons:)`
///   (dot, scale 1/m, `.oppositeLabel`, stop-gradient; patch-wise embeddings). Because A and C
///   are the same embeddings, the caller adds dA and dC (dC is zero under stop-gradient).
/// - Huang et al., multi-modal: the symmetric form with h(x) and g(x̃).
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
        temperature: Double = 1, negatives: NegativeSet = .allOthers, stopGradient: Bool = false, bias: Double = 0
    ) {
        self.objective = objective
        self.similarity = similarity
        self.scale = scale
        self.temperature = temperature
        self.negatives = negatives
        self.stopGradient = stopGradient
        self.bias = bias
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
        ContrastiveLoss(
            objective: .sigmoid, similarity: similarity, scale: 1, temperature: 1 / t, negatives: negatives,
            stopGradient: stopGradient, bias: bias)
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

    /// By default an empty result (value 0, 0 × 0 matrices), to be filled by an `into:` evaluation.
    public init(
        value: T = 0, dA: Matrix<T> = Matrix(rows: 0, cols: 0), dPos: Matrix<T> = Matrix(rows: 0, cols: 0),
        dC: Matrix<T> = Matrix(rows: 0, cols: 0)
    ) {
        self.value = value
        self.dA = dA
        self.dPos = dPos
        self.dC = dC
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

    /// By default an empty result (value 0, 0 × 0 matrices), to be filled by an `into:` evaluation.
    public init(
        value: T = 0, dFirst: Matrix<T> = Matrix(rows: 0, cols: 0), dSecond: Matrix<T> = Matrix(rows: 0, cols: 0)
    ) {
        self.value = value
        self.dFirst = dFirst
        self.dSecond = dSecond
    }
}

extension ContrastiveLoss {
    /// Throws unless A, Pos and C are row-aligned with one width and, for `.oppositeLabel`, one
    /// label per row (`candidatesGlobal`: the message's wording).
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
