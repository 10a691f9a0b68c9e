// GuidedTemperatureTests — the guided (masked) loss's learned InfoNCE temperature,
// θ = log(1/τ): the masked plan's ∂L/∂θ (thetaGradientShare, summed as it forms ∂L/∂ℓ) against
// central differences in θ of the one-process reference and against Euler's identity
// ⟨∂L/∂A, A⟩ (dot; cosine through the normalised rows): targets with other positives and
// exclusions, the guide's plain targets with drops, and the guided recipe ½(plain + neighbour);
// dot and cosine, stop-gradient or not, logits in row blocks; setTemperature reaches the plan
// and is refused outside InfoNCE or out of range.
import Linalg
import MPI
import XCTest

@testable import InfoMax

final class GuidedTemperatureTests: XCTestCase {
    let B = 7, k = 4

    func loss(_ sim: SimilarityKind, theta: Double, sg: Bool, _ objective: ContrastiveObjective = .infoNCE)
        -> ContrastiveLoss
    {
        ContrastiveLoss(
            objective: objective, similarity: sim, scale: 0.8, temperature: Double.exp(-theta),
            negatives: .allOthers, stopGradient: sg)
    }

    func testThetaGradientMatchesCentralDifferencesAndEulersIdentity() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        var rng = TestRNG(seed: 11)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let guide: Matrix<Float> = rng.matrix(B, 3)
        let s = try GuideSelection.select(
            guide: guide, keys: nil, localRows: 0..<B, drop: .falseNegatives, fraction: 0.4)
        let plain = AnchorTargets(positives: Array(0..<B), offsets: s.dropOffsets, excluded: s.dropped)
        let neighbour = AnchorTargets(positives: s.neighbours, offsets: s.dropOffsets, excluded: s.dropped)
        let mixed = AnchorTargets(
            positives: [3, 0, 2, 6, 1, 4, 5], offsets: [0, 2, 2, 3, 5, 5, 6, 7], excluded: [1, 5, 2, 0, 6, 4, 0])
        var ah = Matrix<Double>(rows: 0, cols: 0)
        var ch = Matrix<Double>(rows: 0, cols: 0)
        var na: [Double] = []
        var nc: [Double] = []
        TemperatureGradient.normalize(a, into: &ah, norms: &na)
        TemperatureGradient.normalize(c, into: &ch, norms: &nc)
        let cases: [(String, [AnchorTargets])] = [
            ("mixed", [mixed]), ("plain with drops", [plain]), ("guided ½(plain + neighbour)", [plain, neighbour]),
        ]
        for sim in SimilarityKind.allCases {
            for sg in [false, true] {
                for theta in [-0.4, 0.9] {
                    for (name, sets) in cases {
                        let what = "\(name) \(sim) sg \(sg) θ \(theta)"
                        let n = Double(sets.count)
                        func value(_ t: Double) -> Double {
                            sets.map {
                                MaskedContrastiveLoss<Double>.reference(
                                    loss(sim, theta: t, sg: sg), anchors: a, candidates: c, targets: $0
                                ).value
                            }.reduce(0, +) / n
                        }
                        let e = 1e-5
                        let fd = (value(theta + e) - value(theta - e)) / (2 * e)
                        // Euler's identity on the dot form of the (normalised) rows.
                        let (ea, ec) = sim == .cosine ? (ah, ch) : (a, c)
                        let euler =
                            sets.map {
                                TemperatureGradient.direction(
                                    dA: MaskedContrastiveLoss<Double>.reference(
                                        loss(.dot, theta: theta, sg: sg), anchors: ea, candidates: ec, targets: $0
                                    ).dA, anchors: ea)
                            }.reduce(0, +) / n
                        // The plan, built at τ = 1 and then set; logits in blocks of one row.
                        let dist = try MaskedContrastiveLoss<Double>(
                            communicator: comm, loss: loss(sim, theta: 0, sg: sg), blockElements: 5)
                        try dist.setTemperature(Double.exp(-theta))
                        var r = ContrastiveResult<Double>()
                        var got = 0.0
                        var v = 0.0
                        for t in sets {
                            try dist.evaluate(anchors: a, candidates: c, targets: t, into: &r)
                            got += dist.thetaGradientShare / n
                            v += r.value / n
                        }
                        XCTAssertEqual(v, value(theta), accuracy: 1e-12, "\(what) value")
                        XCTAssertEqual(got, fd, accuracy: 1e-7 * max(1, abs(fd)), "\(what) plan dθ vs FD")
                        XCTAssertEqual(euler, fd, accuracy: 1e-7 * max(1, abs(fd)), "\(what) Euler vs FD")
                        XCTAssertEqual(got, euler, accuracy: 1e-12 * max(1, abs(euler)), "\(what) plan vs Euler")
                        XCTAssertGreaterThan(abs(fd), 1e-4, "\(what): a vanishing gradient checks nothing")
                    }
                }
            }
        }
    }

    func testSetTemperatureIsInfoNCEOnlyAndInRange() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        for objective in [ContrastiveObjective.spectral, .positiveOnly] {
            let other = try MaskedContrastiveLoss<Double>(
                communicator: comm, loss: loss(.dot, theta: 0, sg: false, objective))
            XCTAssertThrowsError(try other.setTemperature(0.5), "\(objective) has no temperature")
            XCTAssertEqual(other.thetaGradientShare, 0)
        }
        let infoNCE = try MaskedContrastiveLoss<Double>(communicator: comm, loss: loss(.cosine, theta: 0, sg: false))
        for bad in [0, -1, Double.infinity, Double.nan] {
            XCTAssertThrowsError(try infoNCE.setTemperature(bad), "τ = \(bad)")
        }
        XCTAssertEqual(infoNCE.loss.temperature, 1, "a refused τ leaves the loss as it was")
        try infoNCE.setTemperature(0.25)
        XCTAssertEqual(infoNCE.loss.temperature, 0.25)
    }
}
