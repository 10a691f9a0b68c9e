// Synthetic/Shuffle.swift — O(1)-memory shuffles of 0..<n: a keyed bijection (a balanced
// Feistel network over Philox, with cycle walking) that maps a position to a sample index and
// back without any table; the trainer's epoch schedule built on it (which global samples a
// rank takes at any step, computed directly, the same batches at every rank count); and the
// fixed evaluation subset of a training set that the diagnostics average over when n is large.
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
//
// The epoch schedule (`EpochSchedule`): the training run reads one endless stream of positions
// q = 0, 1, 2, …; position q is sample π_e(q mod n) of epoch e = ⌊q / n⌋, with π_e the
// permutation keyed (seed, draw = e). Step t takes positions t·B ..< (t + 1)·B, and rank r of P
// takes the contiguous block `Shard.block(count: B, part: r, parts: P)` of them. So the global
// batch of a step does not depend on P, and every epoch (n consecutive positions) visits every
// sample exactly once — nothing is dropped when B does not divide n: a step that crosses an
// epoch boundary takes the last samples of one epoch's order and the first of the next (it
// may then hold one sample twice, on average fewer than B²/(4n) such samples). The `epoch`
// column of metrics.csv, step·B / n, is exactly the epochs consumed.
// Full batch (B = n) takes every sample, in index order, with no shuffle.

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
    public func callAsFunction(_ i: Int) -> Int {
        precondition(i >= 0 && i < n, "IndexPermutation: \(i) outside 0..<\(n)")
        var x = i
        repeat { x = forward(x) } while x >= n
        return x
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

/// Which global samples each step of a training run uses (see the file header): full batch,
/// or consecutive B-sample windows of a stream of per-epoch keyed permutations, each split
/// contiguously over the ranks. O(1) memory, O(b) work for a rank's b samples of a step, at
/// any n and any step.
public struct EpochSchedule: Equatable, Hashable, Codable, Sendable {
    /// Training samples n.
    public let count: Int
    /// Global batch B (= n for full batch).
    public let batchSize: Int
    /// Key of the epoch permutations.
    public let seed: UInt64

    /// `batchSize` 0 or n means full batch. Throws unless 1 ≤ n and 0 ≤ batchSize ≤ n.
    public init(count n: Int, batchSize: Int, seed: UInt64) throws {
        guard n >= 1 else { throw SyntheticError.invalidParameter(model: "EpochSchedule", name: "count", allowed: ">= 1", got: "\(n)") }
        guard batchSize >= 0 && batchSize <= n else {
            throw SyntheticError.invalidParameter(model: "EpochSchedule", name: "batchSize", allowed: "0 (full batch) or 1...n = 1...\(n)", got: "\(batchSize)")
        }
        self.count = n
        self.batchSize = batchSize == 0 ? n : batchSize
        self.seed = seed
    }

    /// Every step uses all n samples, in order.
    public var isFullBatch: Bool { batchSize == count }
    /// Epochs consumed after `steps` steps: steps·B / n.
    public func epochs(afterSteps steps: Int) -> Double { Double(steps) * Double(batchSize) / Double(count) }
    /// The epoch that stream position q belongs to.
    public func epoch(ofPosition q: Int) -> Int { q / count }

    /// The permutation of epoch `epoch`.
    public func permutation(epoch: Int) -> IndexPermutation {
        IndexPermutation(n: count, seed: seed, draw: epoch & 0xFFFF_FFFF, purpose: .shuffle)
    }

    /// The global sample indices of step `step` that rank `rank` of `size` takes, into `out`
    /// (its capacity reused: no allocation once large enough).
    public func localIndices(step: Int, rank: Int, size: Int, into out: inout [Int]) {
        precondition(step >= 0 && rank >= 0 && rank < size, "EpochSchedule: step \(step), rank \(rank) of \(size)")
        out.removeAll(keepingCapacity: true)
        let part = Shard.block(count: batchSize, part: rank, parts: size)
        if isFullBatch {
            out.append(contentsOf: part)
            return
        }
        let base = step * batchSize
        var epoch = epoch(ofPosition: base + part.lowerBound)
        var perm = permutation(epoch: epoch)
        var within = base + part.lowerBound - epoch * count
        for _ in part {
            if within == count {   // the next epoch starts inside this part
                epoch += 1
                perm = permutation(epoch: epoch)
                within = 0
            }
            out.append(perm(within))
            within += 1
        }
    }

    /// All B global indices of step `step`, in order (what the ranks' parts concatenate to).
    public func globalIndices(step: Int) -> [Int] {
        var out: [Int] = []
        localIndices(step: step, rank: 0, size: 1, into: &out)
        return out
    }
}

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

    /// The global indices at positions `positions`, into `out` (capacity reused).
    public func indices(_ positions: Range<Int>, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        if isExact { out.append(contentsOf: positions); return }
        let perm = IndexPermutation(n: population, seed: seed, draw: 0, purpose: .evaluationSubset)
        for p in positions { out.append(perm(p)) }
    }
}
