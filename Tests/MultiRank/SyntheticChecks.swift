import Linalg
// SyntheticChecks — each rank generates only its shard of every data model; per-sample FNV-1a
// digests are gathered on rank 0 and compared with rank 0 regenerating the whole data set
// alone (owned by the Synthetic layer). Also checks mini-batch parts across ranks.
import MPI
import Synthetic

func syntheticChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "synthetic")
    let n = 101  // uneven at 2, 3, 4 ranks
    let shard = try Shard(count: n, rank: comm.rank, size: comm.size)

    let signal = SignalNoise(
        n: n, image: .init(d: 64, signalAxis: 2, snr: 0.4),
        text: .init(d: 48, signalAxis: 1, signalNorm: 15), seed: 2024)
    let latent = try LatentLinear(n: n, r: 4, d1: 16, d2: 12, seed: 7).makeSampler()
    let cooc = try Cooccurrence(n: n, seed: 9).makeSampler()

    /// One digest per sample over every array that sample produces.
    func digests(_ range: Range<Int>) throws -> [UInt64] {
        var x = Matrix<Float>(rows: 0, cols: 0)
        var t = x
        var a = x
        var z = x
        try signal.fillImages(range, into: &x)
        try signal.fillTexts(range, into: &t)
        try signal.fillAugmentedImages(range, draw: 5, into: &a)
        var out = [UInt64]()
        for r in 0..<range.count {
            var h = FNV1a.hash(x.row(r))
            h = FNV1a.hash(t.row(r), into: h)
            h = FNV1a.hash(a.row(r), into: h)
            out.append(h)
        }
        try latent.fillViews(range, x1: &x, x2: &t, latents: &z)
        for r in 0..<range.count {
            out[r] = FNV1a.hash(z.row(r), into: FNV1a.hash(t.row(r), into: FNV1a.hash(x.row(r), into: out[r])))
        }
        var classes = [Int]()
        try cooc.fillOneHot(range, images: &x, texts: &t, classes: &classes)
        try cooc.fillAugmentedImages(range, draw: 1, into: &a)
        for r in 0..<range.count {
            out[r] = FNV1a.hash(a.row(r), into: FNV1a.hash(t.row(r), into: FNV1a.hash(x.row(r), into: out[r])))
            out[r] = FNV1a.hash([Float(classes[r])], into: out[r])
        }
        return out
    }

    let local = try digests(shard.range)
    c.expect(local.count == shard.localCount, "one digest per local sample")
    if let gathered = try comm.gatherv(local, root: 0) {
        let full = try digests(0..<n)
        c.expect(gathered.counts == shard.allRanges.map(\.count), "gathered counts \(gathered.counts) match the shards")
        c.expect(gathered.values == full, "rank shards (\(comm.size) ranks) equal rank 0's one-process data set")
    }

    // Shard ranges tile 0..<n in rank order.
    let bounds = try comm.allgather([Int64(shard.range.lowerBound), Int64(shard.range.upperBound)])
    var expectedLower: Int64 = 0
    for r in 0..<comm.size {
        c.expect(bounds[2 * r] == expectedLower, "shard \(r) starts where shard \(r - 1) ends")
        expectedLower = bounds[2 * r + 1]
    }
    c.expect(expectedLower == Int64(n), "shards cover 0..<\(n)")

    // Mini-batch parts gathered over ranks equal the global batch.
    let batches = try MiniBatches(count: n, batchSize: 25, shuffle: true, seed: 3)
    var mine = [Int]()
    var global = [Int]()
    for b in 0..<batches.batchesPerEpoch {
        batches.localBatch(epoch: 2, batch: b, rank: comm.rank, size: comm.size, into: &mine)
        batches.globalBatch(epoch: 2, batch: b, into: &global)
        let all = try comm.allgatherv(mine.map { Int64($0) }).values
        c.expect(all == global.map { Int64($0) }, "batch \(b): rank parts concatenate to the global batch")
    }
    return c.finish()
}
