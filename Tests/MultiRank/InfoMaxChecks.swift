// InfoMaxChecks — the distributed contrastive losses against the one-process reference
// (owned by InfoMax). Every rank builds the SAME global batch from a fixed seed, takes its
// uneven slice, runs DistributedContrastiveLoss, and compares the loss and its own gradient
// rows with the reference computed on the whole batch (Double to ~1e-10, Float to 1e-5).
import InfoMax
import Linalg
import MPI
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64 + Box–Muller, local to these checks (InfoMax does not depend on Synthetic).
private struct CheckRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func gaussian() -> Double {
        let u1 = (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
        let u2 = (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
    mutating func matrix(_ rows: Int, _ cols: Int) -> Matrix<Double> { Matrix(rows: rows, cols: cols) { _, _ in gaussian() } }
}

/// ‖x − y‖_F / max(‖x‖_F, ‖y‖_F, floor).
private func relErr(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard x.rows == y.rows, x.cols == y.cols else { return .infinity }
    var d = 0.0, nx = 0.0, ny = 0.0
    for i in x.storage.indices {
        d += (x.storage[i] - y.storage[i]) * (x.storage[i] - y.storage[i])
        nx += x.storage[i] * x.storage[i]; ny += y.storage[i] * y.storage[i]
    }
    return d.squareRoot() / max(nx.squareRoot(), ny.squareRoot(), 1e-30)
}

/// Uneven splits of `total` over `size` ranks: ceil-sized blocks with a smaller last rank,
/// and a skewed split (rank r gets a share ∝ r + 1; rank 0 may get very few).
private func splits(_ total: Int, _ size: Int) -> [[Int]] {
    let q = (total + size - 1) / size
    let ceilSplit = (0..<size).map { r in max(0, min(q, total - r * q)) }
    let weights = (0..<size).map { $0 + 1 }, wsum = weights.reduce(0, +)
    var skew = weights.map { $0 * total / wsum }
    skew[size - 1] += total - skew.reduce(0, +)
    return [ceilSplit, skew]
}

func infomaxChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "infomax")
    let B = 23, k = 8
    var rng = CheckRNG(state: 20_241_123)
    let a = rng.matrix(B, k), p = rng.matrix(B, k), cand = rng.matrix(B, k)
    let labels = (0..<B).map { ($0 * 7) % 3 == 0 ? 1 : -1 }

    func check<T: BLASScalar & MPIScalar>(_ loss: ContrastiveLoss, _ type: T.Type, counts: [Int], tol: Double, block: Int) throws {
        let ref = try loss.evaluate(anchors: a, positives: p, candidates: cand, labels: labels)
        let off = counts[..<comm.rank].reduce(0, +), n = counts[comm.rank]
        let mine = off..<(off + n)
        let dist = try DistributedContrastiveLoss<T>(communicator: comm, loss: loss, blockElements: block)
        let r = try dist.evaluate(anchors: a.rows(mine).converted(to: T.self), positives: p.rows(mine).converted(to: T.self),
                                  candidates: cand.rows(mine).converted(to: T.self), labels: Array(labels[mine]))
        let what = "\(T.self) \(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) counts \(counts)"
        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) loss")
        c.expect(relErr(r.dA.converted(to: Double.self), ref.dA.rows(mine)) < tol || n == 0, "\(what) dA rows: \(relErr(r.dA.converted(to: Double.self), ref.dA.rows(mine)))")
        c.expect(relErr(r.dPos.converted(to: Double.self), ref.dPos.rows(mine)) < tol || n == 0 || loss.stopGradient,
                 "\(what) dPos rows: \(relErr(r.dPos.converted(to: Double.self), ref.dPos.rows(mine)))")
        c.expect(relErr(r.dC.converted(to: Double.self), ref.dC.rows(mine)) < tol || n == 0 || loss.stopGradient || loss.objective == .positiveOnly,
                 "\(what) dC rows: \(relErr(r.dC.converted(to: Double.self), ref.dC.rows(mine)))")
        if loss.stopGradient {
            c.expect(r.dPos.maxAbs == 0 && r.dC.maxAbs == 0, "\(what): stop-gradient must leave dPos and dC zero")
        }
        if comm.size > 1 && loss.needsCandidates {
            c.expect(dist.lastStats.bytesSent > 0 && dist.lastStats.communicationSeconds >= 0, "\(what): stats \(dist.lastStats)")
        }
    }

    let variants: [ContrastiveLoss] = ContrastiveObjective.allCases.flatMap { obj in
        SimilarityKind.allCases.flatMap { sim in
            NegativeSet.allCases.flatMap { neg in
                [false, true].map { sg in
                    ContrastiveLoss(objective: obj, similarity: sim, scale: 0.9, temperature: 0.6, negatives: neg, stopGradient: sg)
                }
            }
        }
    } + [ContrastiveLoss.paper(neurons: 4, temperature: 0.5), ContrastiveLoss.clip(temperature: 0.1)]
    for counts in splits(B, comm.size) {
        for loss in variants {
            try check(loss, Double.self, counts: counts, tol: 1e-10, block: 17)
            try check(loss, Float.self, counts: counts, tol: 1e-5, block: 1 << 22)
        }
    }

    // The symmetric (multi-modal) form: gradients of h and g rows.
    let counts = splits(B, comm.size)[0]
    let off = counts[..<comm.rank].reduce(0, +), mine = off..<(off + counts[comm.rank])
    let clip = ContrastiveLoss.clip(temperature: 0.2)
    let ref = try clip.evaluateSymmetric(a, p)
    let sym = try DistributedContrastiveLoss<Float>(communicator: comm, loss: clip)
    let rs = try sym.evaluateSymmetric(a.rows(mine).converted(to: Float.self), p.rows(mine).converted(to: Float.self))
    c.expectClose(Double(rs.value), ref.value, rtol: 1e-5, "symmetric loss")
    c.expect(mine.isEmpty || relErr(rs.dFirst.converted(to: Double.self), ref.dFirst.rows(mine)) < 1e-5, "symmetric dh rows")
    c.expect(mine.isEmpty || relErr(rs.dSecond.converted(to: Double.self), ref.dSecond.rows(mine)) < 1e-5, "symmetric dg rows")

    // One rank with bad input: every rank must throw (no rank left hanging in a collective).
    let bad = try DistributedContrastiveLoss<Double>(communicator: comm, loss: ContrastiveLoss(negatives: .oppositeLabel))
    var threw = false
    do {
        _ = try bad.evaluate(anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine),
                             labels: comm.rank == comm.size - 1 ? [] : Array(labels[mine]))
    } catch { threw = true }
    c.expect(threw || (comm.rank == comm.size - 1 && mine.isEmpty), "a bad input on the last rank must make every rank throw")
    return c.finish()
}
