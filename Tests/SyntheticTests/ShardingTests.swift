import Linalg
// Sharding: contiguous uneven shards, the union of shards equals the one-rank data set bit for
// bit at P = 1...5, mini-batches independent of the rank count, the on-demand permutation.
import XCTest

@testable import Synthetic

final class ShardingTests: XCTestCase {
    func testShardsPartitionContiguouslyFirstRanksLonger() throws {
        for n in [5, 7, 36, 101] {
            for p in 1...5 where p <= n {
                var next = 0
                for r in 0..<p {
                    let s = try Shard(count: n, rank: r, size: p)
                    XCTAssertEqual(s.range.lowerBound, next)
                    XCTAssertEqual(s.localCount, n / p + (r < n % p ? 1 : 0))
                    next = s.range.upperBound
                    XCTAssertEqual(s.allRanges[r], s.range)
                }
                XCTAssertEqual(next, n)
            }
        }
    }

    func testShardErrors() {
        XCTAssertThrowsError(try Shard(count: 3, rank: 0, size: 4)) { e in
            XCTAssertEqual("\(e)", "n = 3 samples cannot be split over 4 ranks; use at most 3 ranks or more samples")
        }
        XCTAssertThrowsError(try Shard(count: 10, rank: 4, size: 4))
        XCTAssertThrowsError(try Shard(count: 10, rank: 0, size: 0))
    }

    /// Concatenates each rank's rows at P ranks.
    func union(n: Int, ranks p: Int, _ fill: (Range<Int>, inout Matrix<Float>) throws -> Void) throws -> [Float] {
        var all = [Float]()
        var m = Matrix<Float>(rows: 0, cols: 0)
        for r in 0..<p {
            try fill(Shard(count: n, rank: r, size: p).range, &m)
            all += m.storage
        }
        return all
    }

    /// [a b] side by side.
    func hstack(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> Matrix<Float> {
        Matrix(rows: a.rows, cols: a.cols + b.cols) { i, j in j < a.cols ? a[i, j] : b[i, j - a.cols] }
    }

    func testUnionOfShardsEqualsOneRankDataSetBitForBit() throws {
        let n = 37
        let sn = SignalNoise(
            n: n, image: .init(d: 50, signalAxis: 4, snr: 0.3), text: .init(d: 30, signalAxis: 0, signalNorm: 3),
            seed: 99)
        let ll = try LatentLinear(n: n, r: 3, d1: 9, d2: 5, seed: 4).makeSampler()
        let co = try Cooccurrence(n: n, seed: 5).makeSampler()
        let fills: [(String, (Range<Int>, inout Matrix<Float>) throws -> Void)] = [
            ("images", { try sn.fillImages($0, into: &$1) }),
            ("texts", { try sn.fillTexts($0, into: &$1) }),
            ("augmented", { try sn.fillAugmentedImages($0, draw: 17, into: &$1) }),
            (
                "latent views",
                { r, m in
                    var x2 = Matrix<Float>(rows: 0, cols: 0)
                    var z = Matrix<Float>(rows: 0, cols: 0)
                    try ll.fillViews(r, x1: &m, x2: &x2, latents: &z)
                    m = try self.hstack(self.hstack(m, x2), z)
                }
            ),
            (
                "co-occurrence",
                { r, m in
                    var t = Matrix<Float>(rows: 0, cols: 0)
                    var c = [Int]()
                    try co.fillOneHot(r, images: &m, texts: &t, classes: &c)
                    m = try self.hstack(m, t)
                }
            ),
        ]
        for (name, fill) in fills {
            let one = try union(n: n, ranks: 1, fill)
            for p in 2...5 {
                let many = try union(n: n, ranks: p, fill)
                XCTAssertEqual(many.count, one.count, "\(name) at \(p) ranks")
                XCTAssert(many.map(\.bitPattern) == one.map(\.bitPattern), "\(name) at \(p) ranks differs from 1 rank")
            }
        }
    }

    func testIndexPermutationIsABijection() {
        for n in [1, 2, 3, 17, 64, 1000] {
            let perm = IndexPermutation(n: n, seed: 5, draw: 2)
            let image = (0..<n).map { perm($0) }
            XCTAssertEqual(image.sorted(), Array(0..<n))
            if n >= 17 {
                XCTAssertNotEqual(image, Array(0..<n))
                XCTAssertNotEqual(image, (0..<n).map { IndexPermutation(n: n, seed: 5, draw: 3)($0) })
            }
        }
    }

    func testMiniBatchesAreTheSameAtEveryRankCount() throws {
        let n = 103
        let mb = try MiniBatches(count: n, batchSize: 20, shuffle: true, seed: 8)
        XCTAssertEqual(mb.batchesPerEpoch, 6)
        for epoch in 0..<2 {
            var seen = [Int]()
            var global = [Int]()
            for b in 0..<mb.batchesPerEpoch {
                mb.globalBatch(epoch: epoch, batch: b, into: &global)
                XCTAssertEqual(global.count, b == 5 ? 3 : 20)
                seen += global
                for p in 1...5 {
                    let parts = (0..<p).map { mb.localBatch(epoch: epoch, batch: b, rank: $0, size: p) }
                    XCTAssertEqual(parts.flatMap { $0 }, global, "epoch \(epoch) batch \(b) at \(p) ranks")
                }
            }
            XCTAssertEqual(seen.sorted(), Array(0..<n), "an epoch visits every sample once")
        }
        var e0 = [Int]()
        var e1 = [Int]()
        mb.globalBatch(epoch: 0, batch: 0, into: &e0)
        mb.globalBatch(epoch: 1, batch: 0, into: &e1)
        XCTAssertNotEqual(e0, e1)
        let plain = try MiniBatches(count: n, batchSize: 20, dropLast: true)
        XCTAssertEqual(plain.batchesPerEpoch, 5)
        XCTAssertEqual(plain.localBatch(epoch: 3, batch: 1, rank: 1, size: 3), Array(27..<34))
        XCTAssertEqual(
            try MiniBatches.fullBatch(count: 10).localBatch(epoch: 0, batch: 0, rank: 0, size: 3), Array(0..<4))
        XCTAssertThrowsError(try MiniBatches(count: 10, batchSize: 11))
    }

    func testRowDigestsDetectASingleBitFlip() throws {
        var m = try Matrix<Float>(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6])
        let d0 = FNV1a.rowDigests(m)
        XCTAssertEqual(FNV1a.hash([Float]()), FNV1a.offsetBasis)
        m[1, 2] = Float(bitPattern: m[1, 2].bitPattern ^ 1)
        let d1 = FNV1a.rowDigests(m)
        XCTAssertEqual(d0[0], d1[0])
        XCTAssertNotEqual(d0[1], d1[1])
    }
}
