// GuidedLearnedParameterTests — the guided (masked) loss's learned parameters: InfoNCE's
// θ = log(1/τ) and the sigmoid loss's log t and b. The masked plan's shares
// (thetaGradientShare, biasGradientShare, summed as it forms ∂L/∂ℓ) against central
// differences of the one-process reference and against Euler's identity ⟨∂L/∂A, A⟩ (dot;
// cosine through the normalised rows): targets with other positives and exclusions, the guide's
// plain targets with drops, and the guided recipe ½(plain + neighbour); dot and cosine,
// stop-gradient or not, logits in row blocks; setTemperature / setSigmoidParameters reach the
// plan and are refused for the other objectives or out of range.
import Linalg
import MPI
import ReferenceLoss
import XCTest

@testable import InfoMax

final class GuidedLearnedParameterTests: XCTestCase {
    let B = GuidedFixtures.B, k = GuidedFixtures.k

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
        let (plain, neighbour) = try GuidedFixtures.guideTargets(guide, drop: .falseNegatives)
        let mixed = GuidedFixtures.mixedTargets()
        var ah = Matrix<Double>(rows: 0, cols: 0)
        var ch = Matrix<Double>(rows: 0, cols: 0)
        var na: [Double] = []
        var nc: [Double] = []
        normalizeRows(a, into: &ah, norms: &na)
        normalizeRows(c, into: &ch, norms: &nc)
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

    /// The sigmoid form: z = +1 on the positive, −1 on the kept negatives. Its value, dA, dC
    /// (FD of the reference, and the plan at one rank against it) and ∂L/∂(log t), ∂L/∂b.
    func testSigmoidGradientsMatchCentralDifferences() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        var rng = TestRNG(seed: 12)
        let a: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let guide: Matrix<Float> = rng.matrix(B, 3)
        let (plain, neighbour) = try GuidedFixtures.guideTargets(guide, drop: .easyNegatives)
        let mixed = GuidedFixtures.mixedTargets()
        func sigmoid(_ sim: SimilarityKind, logT: Double, bias: Double, sg: Bool) -> ContrastiveLoss {
            var l = ContrastiveLoss.sigmoid(scale: Double.exp(logT), bias: bias, similarity: sim, stopGradient: sg)
            l.scale = 0.8
            return l
        }
        let cases: [(String, [AnchorTargets])] = [
            ("mixed", [mixed]), ("plain with drops", [plain]), ("guided ½(plain + neighbour)", [plain, neighbour]),
        ]
        for sim in SimilarityKind.allCases {
            for sg in [false, true] {
                for (logT, bias) in [(0.3, -1.5), (1.2, 0.7)] {
                    for (name, sets) in cases {
                        let what = "sigmoid \(name) \(sim) sg \(sg) log t \(logT) b \(bias)"
                        let n = Double(sets.count)
                        let loss = sigmoid(sim, logT: logT, bias: bias, sg: sg)
                        func value(_ l: ContrastiveLoss, _ a: Matrix<Double>, _ c: Matrix<Double>) -> Double {
                            sets.map {
                                MaskedContrastiveLoss<Double>.reference(l, anchors: a, candidates: c, targets: $0).value
                            }.reduce(0, +) / n
                        }
                        let refs = sets.map {
                            MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: c, targets: $0)
                        }
                        let dA = refs.dropFirst().reduce(refs[0].dA) { $0 + $1.dA }
                        let dC = refs.dropFirst().reduce(refs[0].dC) { $0 + $1.dC }
                        assertGradient((1 / n) * dA, numericGradient(a) { value(loss, $0, c) }, "\(what) dA")
                        if !sg { assertGradient((1 / n) * dC, numericGradient(c) { value(loss, a, $0) }, "\(what) dC") }
                        let e = 1e-5
                        let fdT =
                            (value(sigmoid(sim, logT: logT + e, bias: bias, sg: sg), a, c)
                                - value(sigmoid(sim, logT: logT - e, bias: bias, sg: sg), a, c)) / (2 * e)
                        let fdB =
                            (value(sigmoid(sim, logT: logT, bias: bias + e, sg: sg), a, c)
                                - value(sigmoid(sim, logT: logT, bias: bias - e, sg: sg), a, c)) / (2 * e)
                        // The plan, built at t = 1, b = 0 and then set; logits in blocks of one row.
                        let dist = try MaskedContrastiveLoss<Double>(
                            communicator: comm, loss: sigmoid(sim, logT: 0, bias: 0, sg: sg), blockElements: 5)
                        try dist.setSigmoidParameters(scale: Double.exp(logT), bias: bias)
                        var r = ContrastiveResult<Double>()
                        var v = 0.0
                        var dT = 0.0
                        var dB = 0.0
                        for (t, ref) in zip(sets, refs) {
                            try dist.evaluate(anchors: a, candidates: c, targets: t, into: &r)
                            v += r.value / n
                            dT += dist.thetaGradientShare / n
                            dB += dist.biasGradientShare / n
                            XCTAssertLessThan(relativeError(r.dA, ref.dA), 1e-12, "\(what) plan dA")
                            if !sg { XCTAssertLessThan(relativeError(r.dC, ref.dC), 1e-12, "\(what) plan dC") }
                        }
                        XCTAssertEqual(v, value(loss, a, c), accuracy: 1e-12, "\(what) value")
                        XCTAssertEqual(dT, fdT, accuracy: 1e-7 * max(1, abs(fdT)), "\(what) ∂L/∂log t vs FD")
                        XCTAssertEqual(dB, fdB, accuracy: 1e-7 * max(1, abs(fdB)), "\(what) ∂L/∂b vs FD")
                        XCTAssertGreaterThan(min(abs(fdT), abs(fdB)), 1e-4, "\(what): a vanishing gradient")
                    }
                }
            }
        }
        let infoNCE = try MaskedContrastiveLoss<Double>(communicator: comm, loss: loss(.dot, theta: 0, sg: false))
        XCTAssertThrowsError(try infoNCE.setSigmoidParameters(scale: 2, bias: 0), "InfoNCE has no t, b")
        let sig = try MaskedContrastiveLoss<Double>(communicator: comm, loss: .sigmoid())
        XCTAssertThrowsError(try sig.setSigmoidParameters(scale: 0, bias: 0))
        XCTAssertThrowsError(try sig.setSigmoidParameters(scale: 1, bias: .nan))
        XCTAssertThrowsError(try sig.setTemperature(0.5), "the sigmoid loss sets t, not τ")
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
