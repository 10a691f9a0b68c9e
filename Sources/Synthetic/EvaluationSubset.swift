// Synthetic/EvaluationSubset.swift — the fixed subset of a training set that the diagnostics
// average over when n is large: a simple random sample drawn by a keyed IndexPermutation, the
// same at every step and every rank count.

/// A fixed subset of a training set of n samples on which diagnostics are evaluated: all of it
/// (exact) when `requested` is 0 or ≥ n, otherwise the K = `requested` samples at positions
/// 0..<K of a keyed permutation (purpose `.evaluationSubset`): a simple random sample without
/// replacement, the same at every step and every rank count. Rank r of P evaluates positions
/// `Shard.block(count: size, part: r, parts: P)`.
public struct EvaluationSubset: Equatable, Hashable, Codable, Sendable {
    /// Training samples n.
    public let population: Int
    /// The K asked for; 0 = all.
    public let requested: Int
    /// Key of the subset's permutation.
    public let seed: UInt64

    public init(population n: Int, requested: Int, seed: UInt64) {
        precondition(n >= 1 && requested >= 0, "EvaluationSubset: n = \(n), K = \(requested)")
        self.population = n
        self.requested = requested
        self.seed = seed
    }

    /// Every sample, in order: the mean over the subset is the exact mean over the training set.
    public var isExact: Bool { requested == 0 || requested >= population }
    /// Samples evaluated: n when exact, else K.
    public var size: Int { isExact ? population : requested }
    /// The finite-population correction 1 − K/n of a sample mean's variance (0 when exact).
    public var finitePopulationCorrection: Double { isExact ? 0 : 1 - Double(size) / Double(population) }

    /// The global index of the subset's position `p` (0..<size).
    public func index(at p: Int) -> Int {
        isExact ? p : IndexPermutation(n: population, seed: seed, draw: 0, purpose: .evaluationSubset)(p)
    }

    /// The positions rank `rank` of `size` evaluates.
    public func positions(rank: Int, size ranks: Int) -> Range<Int> {
        Shard.block(count: size, part: rank, parts: ranks)
    }

    /// The global indices at positions `positions`, into `out` (capacity reused). Returns the
    /// Feistel passes it took (0 when exact): O(positions) at any n.
    @discardableResult
    public func indices(_ positions: Range<Int>, into out: inout [Int]) -> Int {
        out.removeAll(keepingCapacity: true)
        if isExact { out.append(contentsOf: positions); return 0 }
        let perm = IndexPermutation(n: population, seed: seed, draw: 0, purpose: .evaluationSubset)
        var passes = 0
        for p in positions {
            let (index, walked) = perm.walk(p)
            out.append(index)
            passes += walked
        }
        return passes
    }
}
