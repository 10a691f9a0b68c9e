// Training/Problems/ProbeSupport.swift — the collective half of the downstream evaluation:
// every rank encodes its shard of a labelled set, rank 0 gathers features and labels
// (gatherv) and fits the linear probe. Shared by every problem.
import Evaluation
import Linalg
import MPI
import Synthetic

/// Encodes one shard of a labelled set; the problem supplies how.
typealias ShardEncoder = (_ indices: Range<Int>) throws -> (features: Matrix<Float>, labels: [Int])

enum ProbeSupport {
    /// Gathers the features and labels that `encode` produces for each rank's shard of `count`
    /// samples on rank 0 (nil elsewhere).
    static func gather(comm: Communicator, count: Int, encode: ShardEncoder) throws -> (Matrix<Float>, [Int])? {
        let shard = try Shard(count: count, rank: comm.rank, size: comm.size)
        let (f, y) = try encode(shard.range)
        let width = try comm.allreduce(Int64(f.cols), op: .max)
        let features = try comm.gatherv(f.storage)
        let labels = try comm.gatherv(y.map { Int64($0) })
        guard let features, let labels else { return nil }
        return (
            try Matrix(rows: labels.values.count, cols: Int(width), storage: features.values),
            labels.values.map { Int($0) }
        )
    }

    /// Fits the probe on the gathered `train` set and scores it on `test` (rank 0), nil elsewhere.
    static func accuracy(
        comm: Communicator, trainCount: Int, testCount: Int, classes: Int,
        encodeTrain: ShardEncoder, encodeTest: ShardEncoder
    ) throws -> (train: Double, test: Double)? {
        let train = try gather(comm: comm, count: trainCount, encode: encodeTrain)
        let test = try gather(comm: comm, count: testCount, encode: encodeTest)
        guard let train, let test else { return nil }
        let probe = try LinearProbe(features: train.0, labels: train.1, classes: classes)
        return (probe.accuracy(train.0, labels: train.1), probe.accuracy(test.0, labels: test.1))
    }
}

/// Collective sum of local (value, count) pairs → global mean.
func globalMean(comm: Communicator, sum: Double, count: Int) throws -> Double {
    let t = try comm.allreduce([sum, Double(count)], op: .sum)
    return t[1] > 0 ? t[0] / t[1] : .nan
}
