// InfoMax/SymmetricReduction.swift — the symmetric loss's sum or mean of its two directions.

/// How the symmetric (multi-modal) loss combines its two directions L(h→g) = L(A=h, Pos=g, C=g)
/// and L(g→h) = L(A=g, Pos=h, C=h).
///
/// With stop-gradient each encoder gets only its own direction's gradient, so under `.mean` every
/// step is half of the paper's (eq. 10 has the single-modal factor η/(nmτ)); `.sum` is the paper's.
/// `.sum` is computed as 2 · `.mean`: scaling by 2 is exact in binary floating point, so the value
/// and gradients are bit for bit those of the summed directions.
public enum SymmetricReduction: String, Sendable, CaseIterable, Codable {
    /// L = L(h→g) + L(g→h): Huang et al.'s multi-modal loss (eq. 9).
    case sum
    /// L = ½ [L(h→g) + L(g→h)]: CLIP's convention.
    case mean

    /// The factor applied to the mean of the two directions (and to its gradients).
    public var factorOnMean: Double { self == .sum ? 2 : 1 }
}
