// GuidedChecks — the guided recipe (Zhang et al.'s AddNewPositive and negative drops) over a
// global batch split across ranks: every rank builds the SAME batch and guide embeddings from
// a fixed seed, takes its uneven slice (one split leaves a rank with no rows), lets the guide
// choose its anchors' neighbours and drops, and runs MaskedContrastiveLoss. The choices must
// equal those made on the whole batch, and the loss and gradient rows the one-process
// reference (Double to 1e-10, Float to 1e-5), whatever the rank count.
import InfoMax
import Linalg
import MPI
import TestSupport

func guidedChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "guided")
    let B = 23
    let k = 6
    let kg = 3
    var rng = SplitMix64(seed: 20_261_128)
    let a = Matrix<Double>(rows: B, cols: k) { _, _ in rng.gaussian() }
    let cand = Matrix<Double>(rows: B, cols: k) { _, _ in rng.gaussian() }
    // Guide rows from 9 "tokens": rows sharing a token have identical embeddings (exact ties).
    let keys = (0..<B).map { ($0 * 5) % 9 }
    let table = (0..<9).map { _ in (0..<kg).map { _ in Float(rng.gaussian()) } }
    let guide = Matrix<Float>(rows: B, cols: kg) { i, t in table[keys[i]][t] }

    let q = (B + comm.size - 1) / comm.size
    var splits = [(0..<comm.size).map { r in max(0, min(q, B - r * q)) }]
    if comm.size > 1 {
        var s = [Int](repeating: B / (comm.size - 1), count: comm.size)
        s[0] = 0
        s[comm.size - 1] += B - s.reduce(0, +)
        splits.append(s)
    }

    for drop in NegativeDrop.allCases {
        let fraction = drop == .easyNegatives ? 0.1 : 0.2
        let whole = try GuideSelection.select(
            guide: guide, keys: keys, localRows: 0..<B, drop: drop, fraction: fraction)
        let plainAll = AnchorTargets(positives: Array(0..<B), offsets: whole.dropOffsets, excluded: whole.dropped)
        let guidedAll = AnchorTargets(positives: whole.neighbours, offsets: whole.dropOffsets, excluded: whole.dropped)
        c.expect(
            whole.neighbours.enumerated().allSatisfy { i, n in n != i && keys[n] != keys[i] },
            "\(drop): a neighbour is never the row or its token")
        for counts in splits {
            let off = counts[..<comm.rank].reduce(0, +)
            let mine = off..<(off + counts[comm.rank])
            let local = try GuideSelection.select(
                guide: guide, keys: keys, localRows: mine, drop: drop, fraction: fraction)
            c.expect(
                local.neighbours == Array(whole.neighbours[mine]), "\(drop) counts \(counts): neighbours of the slice")
            c.expect(
                mine.indices.allSatisfy { Array(local.drops(ofRow: $0 - off)) == Array(whole.drops(ofRow: $0)) },
                "\(drop) counts \(counts): drops of the slice")
            for (name, all, targets) in [
                (
                    "plain", plainAll,
                    AnchorTargets(positives: Array(mine), offsets: local.dropOffsets, excluded: local.dropped)
                ),
                (
                    "guided", guidedAll,
                    AnchorTargets(positives: local.neighbours, offsets: local.dropOffsets, excluded: local.dropped)
                ),
            ] {
                for loss in [
                    ContrastiveLoss(objective: .infoNCE, similarity: .cosine, temperature: 0.1),
                    ContrastiveLoss(objective: .spectral, similarity: .dot, scale: 0.5),
                    ContrastiveLoss(objective: .positiveOnly, similarity: .cosine, temperature: 0.5),
                    ContrastiveLoss(
                        objective: .infoNCE, similarity: .dot, scale: 0.3, temperature: 0.5, stopGradient: true),
                ] {
                    let ref = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: cand, targets: all)
                    let what =
                        "\(drop) \(name) \(loss.objective)/\(loss.similarity)/sg=\(loss.stopGradient) counts \(counts)"
                    func run<T: BLASScalar & MPIScalar>(_: T.Type, tol: Double, block: Int) throws {
                        let dist = try MaskedContrastiveLoss<T>(communicator: comm, loss: loss, blockElements: block)
                        var r = ContrastiveResult<T>()
                        try dist.evaluate(
                            anchors: a.rows(mine).converted(to: T.self),
                            candidates: cand.rows(mine).converted(to: T.self),
                            targets: targets, into: &r)
                        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) loss")
                        let dA = r.dA.converted(to: Double.self)
                        let dC = r.dC.converted(to: Double.self)
                        let refA = ref.dA.rows(mine)
                        let refC = ref.dC.rows(mine)
                        c.expect(
                            mine.isEmpty || maxRelative(dA, refA) < tol,
                            "\(what) \(T.self) dA rows \(maxRelative(dA, refA))")
                        c.expect(
                            mine.isEmpty || maxRelative(dC, refC) < tol || (loss.stopGradient && dC.maxAbs == 0),
                            "\(what) \(T.self) dC rows \(maxRelative(dC, refC))")
                    }
                    try run(Double.self, tol: 1e-10, block: 17)
                    try run(Float.self, tol: 1e-5, block: 1 << 22)
                }
            }
        }
    }
    try falsePositiveChecks(comm, c)
    return c.finish()
}

/// max |x − y| / max(max |y|, 1e-30).
private func maxRelative(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard x.rows == y.rows, x.cols == y.cols else { return .infinity }
    var d = 0.0
    for i in x.storage.indices { d = max(d, abs(x.storage[i] - y.storage[i])) }
    return d / max(y.maxAbs, 1e-30)
}
