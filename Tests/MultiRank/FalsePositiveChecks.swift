// FalsePositiveChecks — DropFalsePositive over a global batch split across ranks (part of the
// "guided" suite): each rank computes its own pairs' guide similarities, gathers them, and
// drops the ⌊fraction · B⌋ lowest of the global batch. The dropped set must equal the
// whole-batch choice, and the masked loss with those rows' positives dropped the one-process
// reference (Double to 1e-10, Float to 1e-5), at every rank count and uneven split.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import TestSupport

func falsePositiveChecks(_ comm: Communicator, _ c: Checks) throws {
    let batch = GuidedBatch(seed: 20_261_206)
    let (B, a, cand) = (batch.B, batch.a, batch.cand)
    // Anchor and positive guide rows from 9 "tokens": repeated token pairs give exact ties.
    let anchorKeys = (0..<B).map { ($0 * 5) % 9 }
    let viewKeys = (0..<B).map { ($0 * 5 + $0 % 3) % 9 }
    let anchorRows = batch.guideRows(anchorKeys)
    let viewRows = batch.guideRows(viewKeys)
    let fraction = 0.3
    let count = FalsePositiveSelection.dropCount(.falsePositives, fraction: fraction, globalRows: B)
    let whole = FalsePositiveSelection.dropped(
        similarities: try FalsePositiveSelection.pairSimilarities(anchors: anchorRows, positives: viewRows),
        count: count)
    c.expect(whole.filter { $0 }.count == 6, "⌊0.3 · 23⌋ = 6 pairs dropped")

    let splits = batch.shardSplits(comm.size)
    for counts in splits {
        let off = counts[..<comm.rank].reduce(0, +)
        let mine = off..<(off + counts[comm.rank])
        let local = try FalsePositiveSelection.pairSimilarities(
            anchors: anchorRows.rows(mine), positives: viewRows.rows(mine))
        let gathered = try comm.allgatherv(local, counts: counts)
        let dropped = FalsePositiveSelection.dropped(similarities: gathered, count: count)
        c.expect(dropped == whole, "counts \(counts): the same pairs dropped as on the whole batch")
        let all = AnchorTargets(positives: Array(0..<B), withoutPositive: whole)
        let targets = AnchorTargets(positives: Array(mine), withoutPositive: Array(dropped[mine]))
        for loss in [
            ContrastiveLoss(objective: .infoNCE, similarity: .cosine, temperature: 0.1),
            ContrastiveLoss(objective: .spectral, similarity: .dot, scale: 0.5),
            ContrastiveLoss(objective: .positiveOnly, similarity: .cosine, temperature: 0.5),
        ] {
            let ref = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: cand, targets: all)
            let what = "false positives \(loss.objective)/\(loss.similarity) counts \(counts)"
            func run<T: BLASScalar & MPIScalar>(_: T.Type, tol: Double, block: Int) throws {
                let dist = try MaskedContrastiveLoss<T>(communicator: comm, loss: loss, blockElements: block)
                var r = ContrastiveResult<T>()
                try dist.evaluate(
                    anchors: a.rows(mine).converted(to: T.self), candidates: cand.rows(mine).converted(to: T.self),
                    targets: targets, into: &r)
                c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) loss")
                let dA = r.dA.converted(to: Double.self)
                let dC = r.dC.converted(to: Double.self)
                c.expect(
                    mine.isEmpty || maxDifference(dA, ref.dA.rows(mine)) < tol * max(ref.dA.maxAbs, 1e-30),
                    "\(what) \(T.self) dA rows")
                c.expect(
                    mine.isEmpty || maxDifference(dC, ref.dC.rows(mine)) < tol * max(ref.dC.maxAbs, 1e-30),
                    "\(what) \(T.self) dC rows")
            }
            try run(Double.self, tol: 1e-10, block: 17)
            try run(Float.self, tol: 1e-5, block: 1 << 22)
        }
    }
}

/// max |x − y| (∞ when the shapes differ).
private func maxDifference(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard x.rows == y.rows, x.cols == y.cols else { return .infinity }
    var d = 0.0
    for i in x.storage.indices { d = max(d, abs(x.storage[i] - y.storage[i])) }
    return d
}
