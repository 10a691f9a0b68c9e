// GuidedBatch — the global batch the "guided" suite's checks share (GuidedChecks,
// FalsePositiveChecks): B = 23 anchors and candidates of width 6 (Gaussian, seeded), a table of
// 9 guide "tokens" of width 3 (rows sharing a token have identical guide rows: exact ties), and
// the splits of B over the ranks the checks run (ceil-sized blocks; beyond one rank, rank 0 empty).
import Linalg
import TestSupport

struct GuidedBatch {
    let B = 23, k = 6, kg = 3
    let a: Matrix<Double>, cand: Matrix<Double>
    /// The guide rows of the 9 tokens.
    let table: [[Float]]

    /// Draws, in this order, the anchors, the candidates and the token table from `seed`.
    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let (B, k, kg) = (self.B, self.k, self.kg)
        a = Matrix<Double>(rows: B, cols: k) { _, _ in rng.gaussian() }
        cand = Matrix<Double>(rows: B, cols: k) { _, _ in rng.gaussian() }
        table = (0..<9).map { _ in (0..<kg).map { _ in Float(rng.gaussian()) } }
    }

    /// The guide rows of `keys` (one token per row).
    func guideRows(_ keys: [Int]) -> Matrix<Float> {
        Matrix<Float>(rows: keys.count, cols: kg) { i, t in table[keys[i]][t] }
    }

    /// B over `size` ranks: ceil-sized blocks and, at 2 ranks or more, rank 0 empty and the others
    /// an even share (the last rank the rest).
    func shardSplits(_ size: Int) -> [[Int]] {
        let q = (B + size - 1) / size
        var splits = [(0..<size).map { r in max(0, min(q, B - r * q)) }]
        if size > 1 {
            var s = [Int](repeating: B / (size - 1), count: size)
            s[0] = 0
            s[size - 1] += B - s.reduce(0, +)
            splits.append(s)
        }
        return splits
    }
}
