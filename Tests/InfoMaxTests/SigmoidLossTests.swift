// SigmoidLossTests — SigLIP's sigmoid loss: its value against the formula written out, every
// gradient of the one-process reference (embeddings, the scale t and the bias β; dot / cosine
// × all others / opposite label × stop-gradient) against central differences, stability at
// extreme logits, and at one rank both distributed plans (one direction and the one-pass
// symmetric call) against the reference, their planner decision, costs and parameter updates.
import Linalg
import MPI
import ReferenceLoss
import XCTest

@testable import InfoMax

final class SigmoidLossTests: XCTestCase {
    let B = 7, k = 4
    let labels = [1, -1, 1, 1, -1, -1, 1]

    func operands(seed: UInt64) -> (a: Matrix<Double>, p: Matrix<Double>, c: Matrix<Double>) {
        var rng = TestRNG(seed: seed)
        return (rng.matrix(B, k), rng.matrix(B, k), rng.matrix(B, k))
    }

    func sigmoid(
        _ sim: SimilarityKind, _ neg: NegativeSet, sg: Bool, t: Double = 1.7, bias: Double = -0.8, scale: Double = 0.6
    ) -> ContrastiveLoss {
        var loss = ContrastiveLoss.sigmoid(scale: t, bias: bias, similarity: sim, negatives: neg, stopGradient: sg)
        loss.scale = scale
        return loss
    }

    var variants: [ContrastiveLoss] {
        SimilarityKind.allCases.flatMap { sim in
            NegativeSet.allCases.flatMap { neg in [false, true].map { sigmoid(sim, neg, sg: $0) } }
        }
    }

    func testValueIsTheFormulaWrittenOut() throws {
        let (a, p, c) = operands(seed: 1)
        for neg in NegativeSet.allCases {
            let loss = sigmoid(.dot, neg, sg: false)
            let r = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
            let t = loss.logitScale
            func s(_ x: Matrix<Double>, _ i: Int, _ y: Matrix<Double>, _ j: Int) -> Double {
                loss.scale * (0..<k).reduce(0.0) { $0 + x[i, $1] * y[j, $1] }
            }
            func logSigma(_ u: Double) -> Double { Double.log(1 / (1 + Double.exp(-u))) }
            var sum = 0.0
            for i in 0..<B {
                sum += logSigma(t * s(a, i, p, i) + loss.bias)
                for j in 0..<B {
                    let excluded = neg == .allOthers ? j == i : labels[j] == labels[i]
                    if !excluded { sum += logSigma(-(t * s(a, i, c, j) + loss.bias)) }
                }
            }
            XCTAssertEqual(r.value, -sum / Double(B), accuracy: 1e-12, "\(neg)")
        }
    }

    func testEveryGradientMatchesCentralDifferences() throws {
        var seed: UInt64 = 100
        for loss in variants {
            seed += 1
            let (a, p, c) = operands(seed: seed)
            let name = "\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient)"
            let r = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
            XCTAssertTrue(r.value.isFinite)
            let nA = try numericGradient(a) {
                try loss.evaluate(anchors: $0, positives: p, candidates: c, labels: labels).value
            }
            assertGradient(r.dA, nA, "\(name) dA")
            let nP = try numericGradient(p) {
                try loss.evaluate(anchors: a, positives: $0, candidates: c, labels: labels).value
            }
            assertGradient(r.dPos, nP, expectZero: loss.stopGradient, "\(name) dPos")
            let nC = try numericGradient(c) {
                try loss.evaluate(anchors: a, positives: p, candidates: $0, labels: labels).value
            }
            assertGradient(r.dC, nC, expectZero: loss.stopGradient, "\(name) dC")
            // t and β: central differences of the value.
            let h = 1e-6
            func value(t: Double, bias: Double) throws -> Double {
                var l = loss
                l.temperature = 1 / t
                l.bias = bias
                return try l.evaluate(anchors: a, positives: p, candidates: c, labels: labels).value
            }
            let t = loss.logitScale
            let dt = (try value(t: t + h, bias: loss.bias) - value(t: t - h, bias: loss.bias)) / (2 * h)
            let db = (try value(t: t, bias: loss.bias + h) - value(t: t, bias: loss.bias - h)) / (2 * h)
            XCTAssertEqual(r.dLogitScale, dt, accuracy: 1e-7 * max(1, abs(dt)), "\(name) dt")
            XCTAssertEqual(r.dBias, db, accuracy: 1e-7 * max(1, abs(db)), "\(name) dβ")
            XCTAssertGreaterThan(abs(dt) + abs(db), 1e-6, "\(name): vacuous parameter check")
        }
    }

    func testExtremeLogitsStayFinite() throws {
        let (a, p, c) = operands(seed: 7)
        for (t, bias) in [(1000.0, -10.0), (1e4, 500.0), (1e-3, -1e3)] {
            let loss = ContrastiveLoss.sigmoid(scale: t, bias: bias, similarity: .dot)
            let r = try loss.evaluate(anchors: a, positives: p, candidates: c)
            XCTAssertTrue(r.value.isFinite && r.dA.storage.allSatisfy(\.isFinite), "t \(t) β \(bias)")
            XCTAssertTrue(r.dLogitScale.isFinite && r.dBias.isFinite, "t \(t) β \(bias)")
            let rf = try loss.evaluate(
                anchors: a.converted(to: Float.self), positives: p.converted(to: Float.self),
                candidates: c.converted(to: Float.self))
            XCTAssertTrue(rf.value.isFinite && rf.dC.storage.allSatisfy(\.isFinite), "Float t \(t) β \(bias)")
        }
        XCTAssertEqual(SigmoidLossMath.softplus(800.0), 800)
        XCTAssertEqual(SigmoidLossMath.softplus(-800.0), 0)
        XCTAssertEqual(SigmoidLossMath.sigmoid(Float(-200)), 0)
        XCTAssertEqual(SigmoidLossMath.sigmoid(Float(200)), 1)
    }

    func testRefusesBadParameters() {
        XCTAssertThrowsError(try ContrastiveLoss.sigmoid(scale: 0).validate())
        XCTAssertThrowsError(try ContrastiveLoss.sigmoid(scale: -1).validate())
        XCTAssertThrowsError(try ContrastiveLoss.sigmoid(bias: .nan).validate())
    }

    func world() throws -> Communicator {
        try MPIEnvironment.initialize()
        return try Communicator.world()
    }

    func testOneRankPlansEqualTheReference() throws {
        let comm = try world()
        let (a, p, c) = operands(seed: 9)
        for loss in variants {
            let ref = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
            let refSym = try loss.evaluateSymmetric(a, p, labels: labels)
            for exchange in CandidateExchange.allCases {
                for block in [1 << 22, 3] {
                    let d = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss, exchange: exchange, blockElements: block)
                    XCTAssertEqual(d.directionKind, exchange == .ring ? .sigmoidRing : .sigmoidAllgather)
                    let what = "\(exchange) block \(block) \(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient)"
                    let r = try d.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                    XCTAssertEqual(r.value, ref.value, accuracy: 1e-12, what)
                    XCTAssertLessThan(relativeError(r.dA, ref.dA), 1e-12, what)
                    if !loss.stopGradient {
                        XCTAssertLessThan(relativeError(r.dPos, ref.dPos), 1e-12, what)
                        XCTAssertLessThan(relativeError(r.dC, ref.dC), 1e-12, what)
                    } else {
                        XCTAssertEqual(r.dPos.maxAbs + r.dC.maxAbs, 0, what)
                    }
                    XCTAssertEqual(r.dLogitScale, ref.dLogitScale, accuracy: 1e-12, what)
                    XCTAssertEqual(r.dBias, ref.dBias, accuracy: 1e-12, what)
                    // The symmetric call, one pass, equals the two-direction definition.
                    let s = try d.evaluateSymmetric(a, p, labels: labels)
                    XCTAssertEqual(s.value, refSym.value, accuracy: 1e-12, what)
                    XCTAssertLessThan(relativeError(s.dFirst, refSym.dFirst), 1e-12, "\(what) symmetric dh")
                    XCTAssertLessThan(relativeError(s.dSecond, refSym.dSecond), 1e-12, "\(what) symmetric dg")
                    XCTAssertEqual(s.dLogitScale, refSym.dLogitScale, accuracy: 1e-12, what)
                    XCTAssertEqual(s.dBias, refSym.dBias, accuracy: 1e-12, what)
                }
            }
        }
    }

    func testParametersChangeBetweenCalls() throws {
        let comm = try world()
        let (a, p, c) = operands(seed: 11)
        let d = try DistributedContrastiveLoss<Double>(communicator: comm, loss: .sigmoid(), exchange: .ring)
        try d.setSigmoidParameters(scale: 3, bias: 0.5)
        let ref = try ContrastiveLoss.sigmoid(scale: 3, bias: 0.5).evaluate(anchors: a, positives: p, candidates: c)
        let r = try d.evaluate(anchors: a, positives: p, candidates: c)
        XCTAssertEqual(r.value, ref.value, accuracy: 1e-12)
        XCTAssertEqual(r.dBias, ref.dBias, accuracy: 1e-12)
        XCTAssertThrowsError(try d.setSigmoidParameters(scale: 0, bias: 0))
        XCTAssertThrowsError(try d.setSigmoidParameters(scale: 1, bias: .infinity))
        let infoNCE = try DistributedContrastiveLoss<Double>(communicator: comm, loss: .clip())
        XCTAssertThrowsError(try infoNCE.setSigmoidParameters(scale: 1, bias: 0))
    }

    func testPlannerAndCosts() throws {
        let comm = try world()
        let loss = ContrastiveLoss.sigmoid()
        XCTAssertEqual(LossPlanner.kind(of: loss, exchange: .allgather, symmetric: true), .sigmoidAllgather)
        XCTAssertEqual(LossPlanner.kind(of: loss, exchange: .ring, symmetric: false), .sigmoidRing)
        XCTAssertThrowsError(try DistributedContrastiveLoss<Float>(communicator: comm, loss: loss, plan: .ring))
        XCTAssertThrowsError(
            try DistributedContrastiveLoss<Float>(communicator: comm, loss: .clip(), plan: .sigmoidRing))
        XCTAssertNoThrow(try MaskedContrastiveLoss<Float>(communicator: comm, loss: loss), "the guided sigmoid form")
        // b = 4 of B = 8 rows, k = 3: one b × B × k gemm is 192 FLOPs.
        let pair = 192.0
        for exchange in CandidateExchange.allCases {
            let d = try DistributedContrastiveLoss<Float>(communicator: comm, loss: loss, exchange: exchange)
            XCTAssertTrue(d.gemmFlops(localRows: 4, globalRows: 8, width: 3, symmetric: false) == (3 * pair, 3 * pair))
            // Symmetric: one pass (logits, dA, dC) against two directions of three.
            XCTAssertTrue(d.gemmFlops(localRows: 4, globalRows: 8, width: 3, symmetric: true) == (3 * pair, 6 * pair))
            let sg = try DistributedContrastiveLoss<Float>(
                communicator: comm, loss: .sigmoid(stopGradient: true), exchange: exchange)
            XCTAssertTrue(sg.gemmFlops(localRows: 4, globalRows: 8, width: 3, symmetric: false) == (2 * pair, 2 * pair))
        }
        let shape = LossShape(loss: loss, symmetric: true, b: 4, B: 8, maxb: 4, k: 3, P: 2)
        let ring = LossPlanKind.sigmoidRing.workspace(shape).map(\.name)
        let gathered = LossPlanKind.sigmoidAllgather.workspace(shape).map(\.name)
        XCTAssertTrue(ring.contains("loss: ring candidate blocks") && !ring.contains { $0.contains("gathered") })
        XCTAssertTrue(gathered.contains { $0.contains("gathered candidates and their gradient") })
    }
}
