// Synthetic/MiniBatches.swift — on-demand mini-batches of 0..<n whose global index set does not
// depend on the number of ranks (so the training curve does not either).

/// Mini-batches of 0..<n, generated on demand: batch t of epoch e holds global positions
/// t·B ..< min((t+1)·B, n), mapped through a per-epoch permutation when `shuffle`. A rank takes
/// the contiguous part `Shard.block(count: batch.count, part: rank, parts: size)` of it, so the
/// global batch — and hence the training — is the same at every rank count.
public struct MiniBatches: Equatable, Codable, Sendable {
    /// Number of samples n.
    public let count: Int
    /// Global batch size B.
    public let batchSize: Int
    /// Permute the samples each epoch.
    public let shuffle: Bool
    /// Key of the permutations.
    public let seed: UInt64
    /// Drop the last, smaller batch of each epoch.
    public let dropLast: Bool

    public init(count n: Int, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false) throws {
        guard n >= 1 else {
            throw SyntheticError.invalidParameter(model: "MiniBatches", name: "count", allowed: ">= 1", got: "\(n)")
        }
        guard batchSize >= 1 && batchSize <= n else {
            throw SyntheticError.invalidParameter(model: "MiniBatches", name: "batchSize",
                                                  allowed: "in 1...n = 1...\(n)", got: "\(batchSize)")
        }
        self.count = n
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// Full-batch gradient descent: one batch holding every sample.
    public static func fullBatch(count n: Int) throws -> MiniBatches { try MiniBatches(count: n, batchSize: n) }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// The global positions of batch `batch` (before the permutation).
    public func positions(batch: Int) -> Range<Int> {
        precondition(batch >= 0 && batch < batchesPerEpoch,
                     "MiniBatches: batch \(batch) outside 0..<\(batchesPerEpoch)")
        return batch * batchSize ..< min((batch + 1) * batchSize, count)
    }

    /// Sample indices of the global batch `batch` of `epoch`, into `indices` (capacity reused).
    public func globalBatch(epoch: Int, batch: Int, into indices: inout [Int]) {
        fill(positions(batch: batch), epoch: epoch, into: &indices)
    }

    /// Sample indices of this rank's part of global batch `batch` of `epoch` (may be empty when
    /// the batch has fewer samples than ranks).
    public func localBatch(epoch: Int, batch: Int, rank: Int, size: Int, into indices: inout [Int]) {
        let pos = positions(batch: batch)
        let part = Shard.block(count: pos.count, part: rank, parts: size)
        fill(pos.lowerBound + part.lowerBound ..< pos.lowerBound + part.upperBound, epoch: epoch, into: &indices)
    }

    /// Convenience returning a new array.
    public func localBatch(epoch: Int, batch: Int, rank: Int, size: Int) -> [Int] {
        var out: [Int] = []
        localBatch(epoch: epoch, batch: batch, rank: rank, size: size, into: &out)
        return out
    }

    func fill(_ positions: Range<Int>, epoch: Int, into indices: inout [Int]) {
        indices.removeAll(keepingCapacity: true)
        if shuffle {
            let perm = IndexPermutation(n: count, seed: seed, draw: epoch)
            for p in positions { indices.append(perm(p)) }
        } else {
            indices.append(contentsOf: positions)
        }
    }
}
