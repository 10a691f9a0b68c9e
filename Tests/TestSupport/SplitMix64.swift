// Tests/TestSupport/SplitMix64.swift — the one small deterministic generator of the test
// targets (unit tests and the multi-rank checks): SplitMix64 with uniform and Box–Muller
// Gaussian draws, so every run sees the same test data. Tests only; the library's data use
// the counter-based Philox generator (Synthetic).
import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny reproducible generator for test data.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1) (53 bits, never 0 or 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u1 = uniform()
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
