// DropFalsePositive tests (Zhang et al.'s fifth variant): the guide's choice of the pairs to
// drop on a small known batch (counts, lowest similarities, ties by index), the masked loss
// with dropped positives (the row decomposition, central differences) and the distributed
// masked loss at one rank against its reference.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import XCTest

final class FalsePositiveDropTests: XCTestCase {
    let B = GuidedFixtures.B, k = GuidedFixtures.k
    let objectives = ContrastiveObjective.allCases.filter { $0 != .sigmoid }

    /// Positives other than the anchor's own view, a few exclusions, and `rows` without a positive.
    func targets(dropping rows: Set<Int>) -> AnchorTargets { GuidedFixtures.mixedTargets(withoutPositive: rows) }

    func testSelectionOnAKnownBatch() throws {
        XCTAssertEqual(FalsePositiveSelection.dropCount(.falsePositives, fraction: 0.1, globalRows: 2000), 200)
        XCTAssertEqual(FalsePositiveSelection.dropCount(.falsePositives, fraction: 0.1, globalRows: 9), 0)
        XCTAssertEqual(FalsePositiveSelection.dropCount(.none, fraction: 0.5, globalRows: 10), 0)
        // Anchor i on the x axis; its positive at angle θ_i: cosines 1, cos 80°, 0, cos 30°, −1, 0, 1.
        let degrees: [Double] = [0, 80, 90, 30, 180, 90, 0]
        let anchors = Matrix<Float>(rows: 7, cols: 2) { _, t in t == 0 ? 2 : 0 }
        let positives = Matrix<Float>(rows: 7, cols: 2) { i, t in
            let a = degrees[i] * .pi / 180
            return Float(t == 0 ? cos(a) : sin(a)) * 3
        }
        let s = try FalsePositiveSelection.pairSimilarities(anchors: anchors, positives: positives)
        for (i, d) in degrees.enumerated() {
            XCTAssertEqual(s[i], cos(d * .pi / 180), accuracy: 1e-6, "pair \(i)")
        }
        // The lowest first: row 4 (−1), then rows 2 and 5 (0, a tie: the lower index first), then row 1.
        XCTAssertEqual(
            FalsePositiveSelection.dropped(similarities: s, count: 1), [false, false, false, false, true, false, false])
        XCTAssertEqual(
            FalsePositiveSelection.dropped(similarities: s, count: 2), [false, false, true, false, true, false, false])
        XCTAssertEqual(
            FalsePositiveSelection.dropped(similarities: s, count: 4), [false, true, true, false, true, true, false])
        XCTAssertEqual(FalsePositiveSelection.dropped(similarities: s, count: 0), [Bool](repeating: false, count: 7))
        // A zero guide row has similarity 0.
        let zero = try FalsePositiveSelection.pairSimilarities(
            anchors: Matrix<Float>(rows: 1, cols: 2), positives: Matrix<Float>(rows: 1, cols: 2) { _, _ in 1 })
        XCTAssertEqual(zero, [0])
        XCTAssertThrowsError(
            try FalsePositiveSelection.pairSimilarities(anchors: anchors, positives: Matrix<Float>(rows: 6, cols: 2)))
    }

    /// value(none dropped) = value(all dropped) + Σ_r [value(none) − value(only r dropped)]: each
    /// dropped row loses exactly its positive term (InfoNCE, positive-only: the whole row, so
    /// value(all) = 0; spectral: −2ℓ_rp/B, its negatives stay).
    func testADroppedRowLosesExactlyItsPositiveTerm() throws {
        var rng = TestRNG(seed: 21)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        for objective in objectives {
            for sim in SimilarityKind.allCases {
                let loss = GuidedFixtures.options(objective, sim)
                func value(_ rows: Set<Int>) -> Double {
                    MaskedContrastiveLoss<Double>.reference(
                        loss, anchors: a, candidates: c, targets: targets(dropping: rows)
                    ).value
                }
                let none = value([])
                let all = value(Set(0..<B))
                let parts = (0..<B).reduce(0.0) { $0 + none - value([$1]) }
                XCTAssertEqual(none, all + parts, accuracy: 1e-12, "\(objective)/\(sim)")
                if objective != .spectral { XCTAssertEqual(all, 0, "\(objective)/\(sim): every row dropped") }
                XCTAssertNotEqual(none, value([1, 4]), "\(objective)/\(sim): the drop changes the loss")
            }
        }
    }

    /// The step's form (kept buffers, in-place heap sort) drops exactly the `count` lowest by
    /// (similarity, row) — the rows a full sort orders first — with many exact ties.
    func testReusedBuffersDropTheLowestTiesByRow() {
        var rng = TestRNG(seed: 24)
        var order: [Int] = []
        var out: [Bool] = []
        for n in [0, 1, 2, 7, 50, 51] {
            let s = (0..<n).map { _ in Double(Int(rng.uniform() * 5)) }
            for count in Set([0, 1, n / 3, n / 2, n]) {
                FalsePositiveSelection.dropped(similarities: s, count: count, order: &order, into: &out)
                let want = Set(s.indices.sorted { s[$0] != s[$1] ? s[$0] < s[$1] : $0 < $1 }.prefix(count))
                XCTAssertEqual(out, s.indices.map { want.contains($0) }, "n \(n), count \(count)")
                XCTAssertEqual(out, FalsePositiveSelection.dropped(similarities: s, count: count))
            }
        }
    }

    func testGradientsWithDroppedPositivesMatchFiniteDifferences() throws {
        var rng = TestRNG(seed: 22)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let t = targets(dropping: [1, 4])
        for objective in objectives {
            for sim in SimilarityKind.allCases {
                GuidedFixtures.assertReferenceMatchesFiniteDifferences(
                    GuidedFixtures.options(objective, sim), a, c, t, "\(objective)/\(sim)")
            }
        }
    }

    func testDistributedLossWithDroppedPositivesAtOneRankEqualsReference() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        var rng = TestRNG(seed: 23)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let t = targets(dropping: [1, 4])
        try GuidedFixtures.assertPlanMatchesReference(comm, a, c, t, objectives: objectives)
        // A mask of the wrong length is refused.
        let dist = try MaskedContrastiveLoss<Double>(
            communicator: comm, loss: GuidedFixtures.options(.infoNCE, .cosine))
        var r = ContrastiveResult<Double>()
        var bad = t
        bad.withoutPositive = [true]
        XCTAssertThrowsError(try dist.evaluate(anchors: a, candidates: c, targets: bad, into: &r))
    }
}
