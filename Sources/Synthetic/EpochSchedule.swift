// Synthetic/EpochSchedule.swift — which global samples a rank takes at any step, computed
// directly from keyed per-epoch permutations (IndexPermutation, Shuffle.swift), the same
// batches at every rank count.
//
// The training run reads one endless stream of positions q = 0, 1, 2, …; position q is sample
// π_e(q mod n) of epoch e = ⌊q / n⌋, with π_e the permutation keyed (seed, draw = e). Step t
// takes positions t·B ..< (t + 1)·B, and rank r of P takes the contiguous block
// `Shard.block(count: B, part: r, parts: P)` of them. So the global batch of a step does not
// depend on P, and every epoch (n consecutive positions) visits every sample exactly once —
// nothing is dropped when B does not divide n: a step that crosses an epoch boundary takes the
// last samples of one epoch's order and the first of the next (it may then hold one sample
// twice, on average fewer than B²/(4n) such samples). The `epoch` column of metrics.csv,
// step·B / n, is exactly the epochs consumed.
// Full batch (B = n) takes every sample, in index order, with no shuffle.

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
        guard n >= 1 else {
            throw SyntheticError.invalidParameter(model: "EpochSchedule", name: "count", allowed: ">= 1", got: "\(n)")
        }
        guard batchSize >= 0 && batchSize <= n else {
            throw SyntheticError.invalidParameter(model: "EpochSchedule", name: "batchSize",
                                                  allowed: "0 (full batch) or 1...n = 1...\(n)", got: "\(batchSize)")
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
    /// (its capacity reused: no allocation once large enough). Returns the Feistel passes it
    /// took (0 for full batch): O(b) at any n and step.
    @discardableResult
    public func localIndices(step: Int, rank: Int, size: Int, into out: inout [Int]) -> Int {
        precondition(step >= 0 && rank >= 0 && rank < size, "EpochSchedule: step \(step), rank \(rank) of \(size)")
        out.removeAll(keepingCapacity: true)
        let part = Shard.block(count: batchSize, part: rank, parts: size)
        if isFullBatch {
            out.append(contentsOf: part)
            return 0
        }
        let base = step * batchSize
        var epoch = epoch(ofPosition: base + part.lowerBound)
        var perm = permutation(epoch: epoch)
        var within = base + part.lowerBound - epoch * count
        var passes = 0
        for _ in part {
            if within == count {   // the next epoch starts inside this part
                epoch += 1
                perm = permutation(epoch: epoch)
                within = 0
            }
            let (index, walked) = perm.walk(within)
            out.append(index)
            passes += walked
            within += 1
        }
        return passes
    }

    /// All B global indices of step `step`, in order (what the ranks' parts concatenate to).
    public func globalIndices(step: Int) -> [Int] {
        var out: [Int] = []
        localIndices(step: step, rank: 0, size: 1, into: &out)
        return out
    }
}
