// ScalingKind: strong or weak scaling — what stays fixed as the rank count grows — and the
// ideal time, parallel efficiency and speedup each defines.

/// What stays fixed as the rank count grows.
public enum ScalingKind: String, Sendable, CaseIterable {
    /// The global problem (global batch) is fixed: ideal time falls as 1/p.
    case strong
    /// The problem per rank (batch per rank) is fixed: ideal time is constant.
    case weak

    /// Reads "strong" / "weak" (any case); nil otherwise.
    public init?(text: String) { self.init(rawValue: text.lowercased()) }

    /// The ideal time per step at `p` ranks, from the time `t0` at the reference count `p0`:
    /// strong t0·p0/p, weak t0.
    public func idealTime(p0: Double, t0: Double, p: Double) -> Double {
        self == .strong ? t0 * p0 / p : t0
    }

    /// Parallel efficiency at `p` ranks (1 is ideal): strong t(p0)·p0 / (p·t(p)), weak t(p0) / t(p).
    public func efficiency(p0: Double, t0: Double, p: Double, t: Double) -> Double {
        self == .strong ? t0 * p0 / (p * t) : t0 / t
    }

    /// Speedup over the reference: strong t(p0) / t(p); weak the scaled speedup
    /// (p/p0)·t(p0)/t(p), the growth of the samples processed per second. Ideal: p/p0.
    public func speedup(p0: Double, t0: Double, p: Double, t: Double) -> Double {
        self == .strong ? t0 / t : p / p0 * t0 / t
    }

    /// One line on the ideal, for chart subtitles.
    public var idealText: String {
        self == .strong ? "ideal: t(p₀)·p₀/p (fixed global batch)" : "ideal: constant time (fixed batch per rank)"
    }

    /// The efficiency formula, for chart subtitles.
    public var efficiencyFormula: String {
        self == .strong ? "efficiency = p₀·t(p₀) / (p·t(p))" : "efficiency = t(p₀) / t(p)"
    }
}
