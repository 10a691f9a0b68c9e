// Guided-recipe tests (Zhang et al.'s AddNewPositive / DropFalseNegative / DropEasyNegative):
// the masked loss's one-process reference against the plain loss and central differences,
// the distributed masked loss at one rank against the reference, and the guide's choices
// (nearest neighbour skips itself and same-key rows, ties by index, drop counts and sets).
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import XCTest

final class GuidedLossTests: XCTestCase {
    let B = GuidedFixtures.B, k = GuidedFixtures.k
    /// Every objective, the sigmoid form included (t = 2, b = −1.5).
    let objectives = ContrastiveObjective.allCases

    func testOwnPositiveWithoutExclusionsIsThePlainLoss() throws {
        var rng = TestRNG(seed: 7)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        for objective in objectives {
            for sim in SimilarityKind.allCases {
                let loss = GuidedFixtures.options(objective, sim)
                let plain = try loss.evaluate(anchors: a, positives: c, candidates: c)
                let masked = MaskedContrastiveLoss<Double>.reference(
                    loss, anchors: a, candidates: c, targets: AnchorTargets(positives: Array(0..<B)))
                XCTAssertEqual(masked.value, plain.value, accuracy: 1e-12, "\(objective)/\(sim) value")
                XCTAssertLessThan(relativeError(masked.dA, plain.dA), 1e-12, "\(objective)/\(sim) dA")
                XCTAssertLessThan(
                    relativeError(masked.dC, plain.dPos + plain.dC), 1e-12, "\(objective)/\(sim) dC = dPos + dC")
            }
        }
    }

    func testMaskedGradientsMatchFiniteDifferences() throws {
        var rng = TestRNG(seed: 8)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        for objective in objectives {
            for sim in SimilarityKind.allCases {
                GuidedFixtures.assertReferenceMatchesFiniteDifferences(
                    GuidedFixtures.options(objective, sim), a, c, GuidedFixtures.mixedTargets(), "\(objective)/\(sim)")
            }
        }
    }

    /// The guided loss ½ (plain with drops + with the neighbour as the positive), as the
    /// co-occurrence problem evaluates it, against central differences.
    func testGuidedLossGradientMatchesFiniteDifferences() throws {
        var rng = TestRNG(seed: 9)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let guide: Matrix<Float> = rng.matrix(B, 3)
        let (plain, guided) = try GuidedFixtures.guideTargets(guide, drop: .falseNegatives)
        for objective in [ContrastiveObjective.infoNCE, .spectral] {
            let loss = GuidedFixtures.options(objective, .cosine)
            func value(_ a: Matrix<Double>, _ c: Matrix<Double>) -> Double {
                (MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: plain).value
                    + MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: guided).value)
                    / 2
            }
            let r1 = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: plain)
            let r2 = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: guided)
            assertGradient(0.5 * (r1.dA + r2.dA), numericGradient(a) { value($0, c) }, "\(objective) guided dA")
            assertGradient(0.5 * (r1.dC + r2.dC), numericGradient(c) { value(a, $0) }, "\(objective) guided dC")
            XCTAssertNotEqual(r1.value, r2.value, "the neighbour term must differ from the plain one")
        }
    }

    func testDistributedMaskedLossAtOneRankEqualsReference() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        var rng = TestRNG(seed: 10)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        try GuidedFixtures.assertPlanMatchesReference(
            comm, a, c, GuidedFixtures.mixedTargets(), objectives: objectives)
        XCTAssertThrowsError(
            try MaskedContrastiveLoss<Double>(communicator: comm, loss: .paper(neurons: 2)),
            "opposite-label negatives are refused")
    }

    func testNearestNeighbourSkipsItselfAndSameKeysTiesByIndex() throws {
        // Rows 0, 2, 3 point the same way (cosine 1, a three-way tie), row 1 is orthogonal,
        // row 4 is close to 0 but not equal.
        let guide = try Matrix<Float>([[1, 0], [0, 1], [2, 0], [3, 0], [1, 0.1]])
        let s = try GuideSelection.select(guide: guide, keys: nil, localRows: 0..<5, drop: .none, fraction: 0)
        XCTAssertEqual(s.neighbours, [2, 4, 0, 0, 0], "ties go to the lower global index; never the row itself")
        XCTAssertEqual(s.dropped, [])
        // Keys: rows 0, 2 share key 7 (the same input) — row 0's neighbour is then 3, row 2's 0 is skipped too.
        let keyed = try GuideSelection.select(
            guide: guide, keys: [7, 1, 7, 2, 3], localRows: 0..<5, drop: .none, fraction: 0)
        XCTAssertEqual(keyed.neighbours, [3, 4, 3, 0, 0])
        // A local slice makes the same choices as the whole batch.
        let slice = try GuideSelection.select(
            guide: guide, keys: [7, 1, 7, 2, 3], localRows: 2..<4, drop: .none, fraction: 0)
        XCTAssertEqual(slice.neighbours, [3, 0])
        // No eligible neighbour (every other row has the same key): the row itself.
        let alone = try GuideSelection.select(
            guide: guide, keys: [1, 1, 1, 1, 1], localRows: 0..<2, drop: .none, fraction: 0)
        XCTAssertEqual(alone.neighbours, [0, 1])
    }

    func testDropCountsAndSets() throws {
        XCTAssertEqual(GuideSelection.dropCount(.falseNegatives, fraction: 0.05, globalRows: 2000), 99)
        XCTAssertEqual(GuideSelection.dropCount(.easyNegatives, fraction: 0.1, globalRows: 2000), 199)
        XCTAssertEqual(GuideSelection.dropCount(.none, fraction: 0.5, globalRows: 2000), 0)
        XCTAssertEqual(GuideSelection.dropCount(.easyNegatives, fraction: 0.1, globalRows: 5), 0)
        // Angles 0°, 10°, 20°, ... : similarity falls with the distance in index.
        let n = 12
        let guide = Matrix<Float>(rows: n, cols: 2) { i, t in
            let a = Double(i) * .pi / 18
            return Float(t == 0 ? cos(a) : sin(a))
        }
        let f = try GuideSelection.select(
            guide: guide, keys: nil, localRows: 0..<n, drop: .falseNegatives, fraction: 0.25)
        let e = try GuideSelection.select(
            guide: guide, keys: nil, localRows: 0..<n, drop: .easyNegatives, fraction: 0.25)
        for r in 0..<n {
            XCTAssertEqual(f.drops(ofRow: r).count, 2, "⌊0.25 · 11⌋")
            XCTAssertFalse(f.drops(ofRow: r).contains(r) || e.drops(ofRow: r).contains(r), "a row never drops itself")
        }
        XCTAssertEqual(Array(f.drops(ofRow: 0)), [1, 2], "the most similar to row 0")
        XCTAssertEqual(Array(e.drops(ofRow: 0)), [10, 11], "the least similar to row 0")
        XCTAssertEqual(Array(f.drops(ofRow: 5)), [4, 6], "the two neighbours at 10°")
        // Exact ties (similarities 0 and −1): the lower global index goes first.
        let axes = try Matrix<Float>([[1, 0], [0, 1], [0, -1], [-1, 0], [0, 1]])
        let ef = try GuideSelection.select(
            guide: axes, keys: nil, localRows: 0..<1, drop: .falseNegatives, fraction: 0.5)
        let ee = try GuideSelection.select(
            guide: axes, keys: nil, localRows: 0..<1, drop: .easyNegatives, fraction: 0.5)
        XCTAssertEqual(Array(ef.drops(ofRow: 0)), [1, 2], "rows 1, 2, 4 tie at 0: the two lowest")
        XCTAssertEqual(Array(ee.drops(ofRow: 0)), [1, 3], "row 3 (−1), then the lowest of the tie at 0")
        XCTAssertThrowsError(
            try GuideSelection.select(guide: guide, keys: [1], localRows: 0..<n, drop: .none, fraction: 0))
    }
}
