// Synthetic/Shuffle.swift — O(1)-memory shuffles of 0..<n: a keyed bijection (a balanced
// Feistel network over Philox, with cycle walking) that maps a position to a sample index and
// back without any table. Built on it: the trainer's epoch schedule (EpochSchedule.swift) and
// the fixed evaluation subset of the diagnostics (EvaluationSubset.swift).
//
// The bijection (`IndexPermutation`), for a domain 0..<n with n < 2^48:
//   - h = max(1, ⌈log₄ n⌉) bits per half, so the Feistel domain 0..<4^h is the smallest power
//     of 4 (balanced halves) ≥ n: at most 4(n − 1) + 1 values, so a cycle walk takes
//     4^h / n ∈ [1, 4] Feistel evaluations on average over the elements;
//   - x = (L, R) with L the high h bits, R the low h bits; round k (0 ..< rounds) maps
//     (L, R) ↦ (R, L ⊕ F_k(R)), F_k(R) = the low h bits of word 0 of
//     Philox4x32-10(counter: (R, k, purpose << 16 | h << 8, draw), key: seed);
//   - cycle walking: apply the network until the value falls inside 0..<n. On a finite set
//     this restricts a permutation of 0..<4^h to one of 0..<n (Black & Rogaway 2002).
// Ten rounds of a Philox-keyed round function (Luby–Rackoff needs 4 with a pseudo-random
// round function; more rounds help small domains, where F_k's few output bits limit mixing).
// Like every Feistel network (h ≥ 2) it reaches only even permutations of 0..<4^h, and only 2^64 ×
// 2^32 keys exist against n! permutations: it is a pseudo-random permutation, not a uniform
// draw over all of them; the statistical tests (SyntheticTests/ShuffleTests) check what
// training needs — bijectivity, uniform positions over keys, no pair correlations.

/// A keyed pseudo-random permutation of 0..<n as a pure function (no table, O(1) memory):
/// a 10-round balanced Feistel network over Philox with cycle walking (see the file header).
public struct IndexPermutation: Equatable, Hashable, Codable, Sendable {
    /// Feistel rounds.
    public static let rounds = 10
    /// Domain size n.
    public let n: Int
    /// Key of the round function (the run's seed).
    public let seed: UInt64
    /// Which permutation under the seed (e.g. the epoch), 0 ..< 2^32.
    public let draw: Int
    /// The stream the round function draws from, so different uses never share permutations.
    public let purpose: RNGPurpose
    /// Bits per Feistel half: the network permutes 0 ..< 4^halfBits.
    public let halfBits: Int

    /// The permutation `draw` of 0..<n under `seed`, for `purpose`.
    public init(n: Int, seed: UInt64, draw: Int = 0, purpose: RNGPurpose = .shuffle) {
        precondition(n >= 0 && n < (1 << 48), "IndexPermutation: n must be in 0..<2^48")
        precondition(draw >= 0 && draw <= Int(UInt32.max), "IndexPermutation: draw \(draw) must be in 0..<2^32")
        self.n = n
        self.seed = seed
        self.draw = draw
        self.purpose = purpose
        var bits = 1
        while (1 << (2 * bits)) < n { bits += 1 }
        self.halfBits = bits
    }

    /// The image of position `i` (0..<n).
    @inlinable
    public func callAsFunction(_ i: Int) -> Int { walk(i).image }

    /// The image of position `i` (0..<n) and the Feistel passes its cycle walk took (≥ 1;
    /// 4^h / n on average): the work, counted, that tests bound instead of timing it.
    @inlinable
    public func walk(_ i: Int) -> (image: Int, passes: Int) {
        precondition(i >= 0 && i < n, "IndexPermutation: \(i) outside 0..<\(n)")
        var x = i, passes = 0
        repeat { x = forward(x); passes += 1 } while x >= n
        return (x, passes)
    }

    /// The position whose image is `j` (0..<n): `inverse(self(i)) == i`.
    @inlinable
    public func inverse(_ j: Int) -> Int {
        precondition(j >= 0 && j < n, "IndexPermutation: \(j) outside 0..<\(n)")
        var x = j
        repeat { x = backward(x) } while x >= n
        return x
    }

    /// F_k(r): h pseudo-random bits of (seed, purpose, h, draw, k, r).
    @inlinable @inline(__always)
    func roundFunction(_ k: Int, _ r: Int) -> Int {
        let tag = UInt32(purpose.rawValue) << 16 | UInt32(halfBits) << 8
        let w = Philox4x32.block(UInt32(truncatingIfNeeded: r), UInt32(k), tag, UInt32(truncatingIfNeeded: draw),
                                 UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        return Int(w.0) & ((1 << halfBits) - 1)
    }

    /// One pass of the Feistel network over 0 ..< 4^h.
    @inlinable
    func forward(_ x: Int) -> Int {
        let mask = (1 << halfBits) - 1
        var l = x >> halfBits, r = x & mask
        for k in 0..<Self.rounds { (l, r) = (r, l ^ roundFunction(k, r)) }
        return l << halfBits | r
    }

    /// The inverse pass: the rounds in reverse order, (L', R') ↦ (R' ⊕ F_k(L'), L').
    @inlinable
    func backward(_ x: Int) -> Int {
        let mask = (1 << halfBits) - 1
        var l = x >> halfBits, r = x & mask
        for k in stride(from: Self.rounds - 1, through: 0, by: -1) { (l, r) = (r ^ roundFunction(k, l), l) }
        return l << halfBits | r
    }
}
