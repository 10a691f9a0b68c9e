// LearnedTemperatureTests — InfoNCE's ∂L/∂θ, θ = log(1/τ) (loss.learn_temperature), from
// TemperatureGradient against central differences of the one-process loss in θ: dot
// similarity with the 1/m scale and patch-wise widths (wider rows), all / opposite-label
// negatives, stop-gradient or not, one direction (candidates second or first) and symmetric;
// and at one rank every distributed plan after setTemperature, which only InfoNCE accepts.
import Linalg
import MPI
import ReferenceLoss
import XCTest

@testable import InfoMax

final class LearnedTemperatureTests: XCTestCase {
    let B = 7
    let labels = [1, -1, 1, 1, -1, -1, 1]
    enum Form: CaseIterable { case symmetric, candidatesSecond, candidatesFirst }

    func loss(_ neg: NegativeSet, sg: Bool, theta: Double, similarity: SimilarityKind = .dot) -> ContrastiveLoss {
        ContrastiveLoss(
            objective: .infoNCE, similarity: similarity, scale: 1.0 / 3, temperature: Double.exp(-theta),
            negatives: neg,
            stopGradient: sg)
    }

    /// The loss value and the identity's ∂L/∂θ of `form`.
    func evaluate(_ l: ContrastiveLoss, _ form: Form, _ h: Matrix<Double>, _ g: Matrix<Double>) throws
        -> (value: Double, dTheta: Double)
    {
        switch form {
        case .symmetric:
            let r = try l.evaluateSymmetric(h, g, labels: labels)
            let d = TemperatureGradient.symmetric(
                dFirst: r.dFirst, h, dSecond: r.dSecond, g, stopGradient: l.stopGradient)
            return (r.value, d)
        case .candidatesSecond, .candidatesFirst:
            let c = form == .candidatesFirst ? h : g
            let r = try l.evaluate(anchors: h, positives: g, candidates: c, labels: labels)
            return (r.value, TemperatureGradient.direction(dA: r.dA, anchors: h))
        }
    }

    func testThetaGradientMatchesCentralDifferences() throws {
        for k in [4, 12] {  // 12: three patches of width 4, flattened as the patch-wise loss does
            var rng = TestRNG(seed: UInt64(k))
            let h: Matrix<Double> = rng.matrix(B, k)
            let g: Matrix<Double> = rng.matrix(B, k)
            for theta in [-0.5, 0.7] {
                for neg in NegativeSet.allCases {
                    for sg in [false, true] {
                        for form in Form.allCases {
                            let analytic = try evaluate(loss(neg, sg: sg, theta: theta), form, h, g).dTheta
                            let e = 1e-5
                            let up = try evaluate(loss(neg, sg: sg, theta: theta + e), form, h, g).value
                            let down = try evaluate(loss(neg, sg: sg, theta: theta - e), form, h, g).value
                            let fd = (up - down) / (2 * e)
                            XCTAssertEqual(
                                analytic, fd, accuracy: 1e-7 * max(1, abs(fd)),
                                "k \(k) θ \(theta) \(neg) sg \(sg) \(form)")
                            XCTAssertGreaterThan(abs(fd), 1e-4, "a vanishing gradient checks nothing")
                        }
                    }
                }
            }
        }
    }

    func testEveryPlanAtOneRankAfterSetTemperature() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        var rng = TestRNG(seed: 3)
        let h: Matrix<Double> = rng.matrix(B, 5)
        let g: Matrix<Double> = rng.matrix(B, 5)
        for neg in NegativeSet.allCases {
            for sg in [false, true] {
                let ref = loss(neg, sg: sg, theta: 0.9)
                let plans: [LossPlanKind] = [
                    .allgather, .ring, .groupedRing, .fusedAllgather, .fusedRing, .groupedAllgather,
                ]
                for plan in plans where neg == .oppositeLabel || (plan != .groupedAllgather && plan != .groupedRing) {
                    let d = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss(neg, sg: sg, theta: 0), plan: plan)
                    try d.setTemperature(ref.temperature)
                    let want = try evaluate(ref, .symmetric, h, g)
                    let r = try d.evaluateSymmetric(h, g, labels: labels)
                    let got = TemperatureGradient.symmetric(
                        dFirst: r.dFirst, h, dSecond: r.dSecond, g, stopGradient: sg)
                    XCTAssertEqual(r.value, want.value, accuracy: 1e-12, "\(plan) \(neg) sg \(sg) value")
                    XCTAssertEqual(got, want.dTheta, accuracy: 1e-12, "\(plan) \(neg) sg \(sg) dθ")
                }
            }
        }
        let sigmoid = try DistributedContrastiveLoss<Double>(communicator: comm, loss: .sigmoid())
        XCTAssertThrowsError(try sigmoid.setTemperature(0.5))
        let infoNCE = try DistributedContrastiveLoss<Double>(communicator: comm, loss: .clip())
        XCTAssertThrowsError(try infoNCE.setTemperature(0))
    }

    /// Cosine through the dot form of the normalised rows (what LossStep does): ∂L/∂θ read there
    /// matches central differences of the cosine loss, and the gradients taken back through the
    /// normalisation equal the cosine loss's own.
    func testCosineThroughNormalisedRowsMatchesCentralDifferences() throws {
        var rng = TestRNG(seed: 5)
        let h: Matrix<Double> = rng.matrix(B, 6)
        let g: Matrix<Double> = rng.matrix(B, 6)
        var hh = Matrix<Double>(rows: 0, cols: 0)
        var gh = Matrix<Double>(rows: 0, cols: 0)
        var nh: [Double] = []
        var ng: [Double] = []
        normalizeRows(h, into: &hh, norms: &nh)
        normalizeRows(g, into: &gh, norms: &ng)
        for neg in NegativeSet.allCases {
            for sg in [false, true] {
                for form in Form.allCases {
                    let theta = 1.2
                    let cosine = { (t: Double) in self.loss(neg, sg: sg, theta: t, similarity: .cosine) }
                    let analytic = try evaluate(loss(neg, sg: sg, theta: theta), form, hh, gh).dTheta
                    let e = 1e-5
                    let fd =
                        (try evaluate(cosine(theta + e), form, h, g).value
                            - evaluate(cosine(theta - e), form, h, g).value) / (2 * e)
                    XCTAssertEqual(analytic, fd, accuracy: 1e-7 * max(1, abs(fd)), "cosine \(neg) sg \(sg) \(form)")
                    XCTAssertGreaterThan(abs(fd), 1e-4, "a vanishing gradient checks nothing")
                }
                var r = try loss(neg, sg: sg, theta: 1.2).evaluateSymmetric(hh, gh, labels: labels)
                let want = try cosineSymmetric(neg, sg: sg, h, g)
                backpropNormalization(&r.dFirst, normalized: hh, norms: nh)
                backpropNormalization(&r.dSecond, normalized: gh, norms: ng)
                XCTAssertLessThan(relativeError(r.dFirst, want.dFirst), 1e-12, "\(neg) sg \(sg) dh")
                XCTAssertLessThan(relativeError(r.dSecond, want.dSecond), 1e-12, "\(neg) sg \(sg) dg")
            }
        }
    }

    func cosineSymmetric(_ neg: NegativeSet, sg: Bool, _ h: Matrix<Double>, _ g: Matrix<Double>) throws
        -> SymmetricContrastiveResult<Double>
    {
        try loss(neg, sg: sg, theta: 1.2, similarity: .cosine).evaluateSymmetric(h, g, labels: labels)
    }
}
