// Synthetic/Sharding.swift — which samples a rank owns: contiguous shards of 0..<n (the first
// n % P ranks get one more).

/// Rank `rank`'s contiguous block of `count` samples split over `size` ranks.
public struct Shard: Equatable, Hashable, Codable, Sendable {
    /// Total number of samples n.
    public let count: Int
    /// This rank.
    public let rank: Int
    /// Number of ranks P.
    public let size: Int
    /// The global indices this rank owns.
    public let range: Range<Int>

    /// Throws unless 0 <= rank < size and count >= size >= 1 (every rank gets at least one sample).
    public init(count n: Int, rank: Int, size: Int) throws {
        guard size >= 1 else { throw SyntheticError.sharding("size = \(size) ranks: need at least 1 rank") }
        guard rank >= 0 && rank < size else {
            throw SyntheticError.sharding("rank \(rank) is outside 0..<\(size); pass the communicator's rank and size")
        }
        guard n >= size else {
            throw SyntheticError.sharding("n = \(n) samples cannot be split over \(size) ranks; use at most \(max(n, 1)) ranks or more samples")
        }
        self.count = n
        self.rank = rank
        self.size = size
        self.range = Shard.block(count: n, part: rank, parts: size)
    }

    /// Number of samples of this rank.
    public var localCount: Int { range.count }

    /// The ranges of every rank, in rank order (their union is 0..<count).
    public var allRanges: [Range<Int>] { (0..<size).map { Shard.block(count: count, part: $0, parts: size) } }

    /// Part `part` of 0..<count split into `parts` contiguous blocks, the first count % parts
    /// one longer. Blocks may be empty when count < parts.
    @inlinable
    public static func block(count: Int, part: Int, parts: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let lo = part * base + min(part, extra)
        return lo ..< lo + base + (part < extra ? 1 : 0)
    }
}
