import Evaluation
import Linalg
// The downstream probe and the papers' diagnostics on inputs with known answers.
import XCTest

final class TrainingEvaluationTests: XCTestCase {
    /// Deterministic pseudo-random numbers for test data.
    struct LCG {
        var s: UInt64
        mutating func next() -> Float {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(s >> 40) / Float(1 << 24) - 0.5
        }
    }

    func testProbeSeparatesSeparableClasses() throws {
        var r = LCG(s: 1)
        let n = 200
        var labels = [Int]()
        let x = Matrix<Float>(rows: n, cols: 3) { i, j in
            if j == 0 {
                let y = i % 3
                if labels.count == i { labels.append(y) }
                return Float(y) * 2 + 0.1 * r.next()
            }
            return r.next()
        }
        let probe = try LinearProbe(features: x, labels: labels, classes: 3)
        XCTAssertEqual(probe.accuracy(x, labels: labels), 1.0)
    }

    func testProbeIsNearChanceOnRandomLabels() throws {
        var r = LCG(s: 7)
        let train = Matrix<Float>(rows: 300, cols: 5) { _, _ in r.next() }
        let test = Matrix<Float>(rows: 2000, cols: 5) { _, _ in r.next() }
        let ytrain = (0..<300).map { _ in r.next() > 0 ? 1 : 0 }
        let ytest = (0..<2000).map { _ in r.next() > 0 ? 1 : 0 }
        let probe = try LinearProbe(features: train, labels: ytrain, classes: 2)
        XCTAssertEqual(probe.accuracy(test, labels: ytest), 0.5, accuracy: 0.06)
        XCTAssertThrowsError(try LinearProbe(features: train, labels: [1], classes: 2))
        XCTAssertThrowsError(try LinearProbe(features: train, labels: ytrain.map { $0 + 5 }, classes: 2))
    }

    func testRawSignalAndNoiseInnerProducts() throws {
        let w = try Matrix<Float>([[1, 0, 0], [0, 2, 0], [-3, 0, 1]])
        XCTAssertEqual(try Diagnostics.signalInnerProduct(weights: w, signal: [2, 0, 0]), 2)
        XCTAssertEqual(try Diagnostics.signalInnerProduct(weights: w, signal: [0, 1, 0]), 2)
        let noise = try Matrix<Float>([[0, 1, 0], [0, 0, 5]])
        let (sum, count) = try Diagnostics.noiseInnerProductSum(weights: w, noise: noise)
        XCTAssertEqual(sum, 2 + 5)
        XCTAssertEqual(count, 2)
        XCTAssertThrowsError(try Diagnostics.signalInnerProduct(weights: w, signal: [1, 2]))
    }

    func testRepresentationConditionNumber() throws {
        // W·A = I (2×2), λ = (4, 1): covariance diag(4, 1), condition number 4.
        let w = try Matrix<Float>([[1, 0, 0], [0, 1, 0]])
        let a = try Matrix<Float>([[1, 0], [0, 1], [0, 0]])
        XCTAssertEqual(
            try Diagnostics.representationConditionNumber(encoder: w, mixing: a, spectrum: [4, 1]), 4, accuracy: 1e-9)
        // A rank-deficient representation is infinitely ill-conditioned.
        let collapsed = try Matrix<Float>([[1, 0, 0], [1, 0, 0]])
        XCTAssertEqual(
            try Diagnostics.representationConditionNumber(encoder: collapsed, mixing: a, spectrum: [1, 1]), .infinity)
    }

    func testSubspaceAlignment() throws {
        let u = try Matrix<Double>([[1, 0], [0, 1], [0, 0], [0, 0]])
        let same = try Matrix<Float>([[2, 1], [0, 3], [0, 0], [0, 0]])  // spans e0, e1
        let orthogonal = try Matrix<Float>([[0, 0], [0, 0], [1, 0], [0, 1]])  // spans e2, e3
        let half = try Matrix<Float>([[1, 0], [0, 0], [0, 1], [0, 0]])  // e0, e2
        XCTAssertEqual(
            try Diagnostics.subspaceAlignment(features: same, reference: u, tokenWeights: nil), 1, accuracy: 1e-9)
        XCTAssertEqual(
            try Diagnostics.subspaceAlignment(features: orthogonal, reference: u, tokenWeights: nil), 0, accuracy: 1e-9)
        XCTAssertEqual(
            try Diagnostics.subspaceAlignment(features: half, reference: u, tokenWeights: nil), 0.5, accuracy: 1e-9)
    }
}
