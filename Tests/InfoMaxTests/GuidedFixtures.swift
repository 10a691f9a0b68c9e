// GuidedFixtures — what the guided (masked) loss tests share: the small batch's mixed targets,
// the masked-loss options, the guide's plain and neighbour targets, and the two checks every
// masked form runs (the reference against central differences, the plan at one rank against
// the reference). Used by GuidedLossTests, FalsePositiveDropTests, GuidedLearnedParameterTests.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import XCTest

enum GuidedFixtures {
    /// The small batch: B anchors and candidates of width k.
    static let B = 7, k = 4

    /// The masked loss's options: scale 0.8, τ 0.5, negatives all others; the sigmoid form with b = −1.5.
    static func options(_ objective: ContrastiveObjective, _ similarity: SimilarityKind, stopGradient: Bool = false)
        -> ContrastiveLoss
    {
        var loss = ContrastiveLoss(
            objective: objective, similarity: similarity, scale: 0.8, temperature: 0.5, negatives: .allOthers,
            stopGradient: stopGradient)
        if objective == .sigmoid { loss.bias = -1.5 }
        return loss
    }

    /// Positives other than the anchor's own view and a few exclusions (one listing the positive);
    /// with `withoutPositive`, those rows' positive pairs dropped (a flag for every row).
    static func mixedTargets(withoutPositive rows: Set<Int>? = nil) -> AnchorTargets {
        AnchorTargets(
            positives: [3, 0, 2, 6, 1, 4, 5], offsets: [0, 2, 2, 3, 5, 5, 6, 7], excluded: [1, 5, 2, 0, 6, 4, 0],
            withoutPositive: rows.map { rows in (0..<B).map { rows.contains($0) } } ?? [])
    }

    /// The guide's choices on `guide` (B rows, no keys) as targets: `plain` (each anchor's own
    /// view, the dropped negatives excluded) and `neighbour` (the guide's nearest neighbour).
    static func guideTargets(_ guide: Matrix<Float>, drop: NegativeDrop, fraction: Double = 0.4) throws
        -> (plain: AnchorTargets, neighbour: AnchorTargets)
    {
        let s = try GuideSelection.select(guide: guide, keys: nil, localRows: 0..<B, drop: drop, fraction: fraction)
        return (
            AnchorTargets(positives: Array(0..<B), offsets: s.dropOffsets, excluded: s.dropped),
            AnchorTargets(positives: s.neighbours, offsets: s.dropOffsets, excluded: s.dropped)
        )
    }

    /// The one-process reference's dA and dC against central differences of its value.
    static func assertReferenceMatchesFiniteDifferences(
        _ loss: ContrastiveLoss, _ a: Matrix<Double>, _ c: Matrix<Double>, _ t: AnchorTargets, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let r = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: t)
        let nA = numericGradient(a) {
            MaskedContrastiveLoss<Double>.reference(loss, anchors: $0, candidates: c, targets: t).value
        }
        let nC = numericGradient(c) {
            MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: $0, targets: t).value
        }
        assertGradient(r.dA, nA, "\(what) dA", file: file, line: line)
        assertGradient(r.dC, nC, "\(what) dC", file: file, line: line)
    }

    /// The masked plan at one rank (two calls each, logits in blocks of 3 and whole) against the
    /// reference for every objective of `objectives`, similarity and stop-gradient (`options`).
    static func assertPlanMatchesReference(
        _ comm: Communicator, _ a: Matrix<Double>, _ c: Matrix<Double>, _ t: AnchorTargets,
        objectives: [ContrastiveObjective], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        for objective in objectives {
            for sim in SimilarityKind.allCases {
                for sg in [false, true] {
                    for block in [3, 1 << 20] {
                        let loss = options(objective, sim, stopGradient: sg)
                        let ref = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: t)
                        let dist = try MaskedContrastiveLoss<Double>(
                            communicator: comm, loss: loss, blockElements: block)
                        var r = ContrastiveResult<Double>()
                        for _ in 0..<2 { try dist.evaluate(anchors: a, candidates: c, targets: t, into: &r) }
                        let what = "\(objective)/\(sim)/sg=\(sg)/block \(block)"
                        XCTAssertEqual(Double(r.value), ref.value, accuracy: 1e-12, what, file: file, line: line)
                        XCTAssertLessThan(relativeError(r.dA, ref.dA), 1e-12, "\(what) dA", file: file, line: line)
                        if sg {
                            XCTAssertEqual(r.dC.maxAbs, 0, "\(what) dC", file: file, line: line)
                        } else {
                            XCTAssertLessThan(
                                relativeError(r.dC, ref.dC), 1e-12, "\(what) dC", file: file, line: line)
                        }
                    }
                }
            }
        }
    }
}
