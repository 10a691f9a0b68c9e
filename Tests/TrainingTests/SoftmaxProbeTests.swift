// Tests/TrainingTests/SoftmaxProbeTests.swift — the multi-class (softmax) probe the colored
// model is scored with: its objective's gradient against central finite differences, and a
// separable 4-class toy set fitted to full accuracy.
import Evaluation
import Linalg
import XCTest

final class SoftmaxProbeTests: XCTestCase {
    func testObjectiveGradientMatchesFiniteDifferences() throws {
        let n = 12
        let k = 5
        let classes = 4
        // Deterministic pseudo-random inputs.
        func value(_ a: Int, _ b: Int, _ s: Double) -> Double { sin(Double(a * 31 + b * 17) * s) }
        let xb = Matrix<Double>(rows: n, cols: k + 1) { i, j in j < k ? value(i, j, 0.7) : 1 }
        let labels = (0..<n).map { ($0 * 7) % classes }
        let theta = Matrix<Double>(rows: k + 1, cols: classes) { j, c in 0.3 * value(j, c, 1.3) }
        let l2 = 0.05
        var logits = Matrix<Double>(rows: n, cols: classes)
        var grad = Matrix<Double>(rows: k + 1, cols: classes)
        _ = LinearProbe.objective(xb, labels: labels, theta: theta, l2: l2, logits: &logits, gradient: &grad)
        var scratch = Matrix<Double>(rows: k + 1, cols: classes)
        let h = 1e-6
        for j in 0...k {
            for c in 0..<classes {
                var plus = theta
                plus[j, c] += h
                var minus = theta
                minus[j, c] -= h
                let fp = LinearProbe.objective(
                    xb, labels: labels, theta: plus, l2: l2, logits: &logits, gradient: &scratch)
                let fm = LinearProbe.objective(
                    xb, labels: labels, theta: minus, l2: l2, logits: &logits, gradient: &scratch)
                let fd = (fp - fm) / (2 * h)
                XCTAssertEqual(grad[j, c], fd, accuracy: 1e-7 + 1e-6 * abs(fd), "∂/∂θ[\(j), \(c)]")
            }
        }
    }

    func testSeparatesASeparableToySet() throws {
        // Four classes at the corners of a square in the first two features, small jitter,
        // and a third uninformative feature.
        let n = 80
        let classes = 4
        let labels = (0..<n).map { $0 % classes }
        let corners: [(Float, Float)] = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
        let features = Matrix<Float>(rows: n, cols: 3) { i, j in
            let jitter = 0.2 * Float(sin(Double(i * 13 + j * 7)))
            switch j {
            case 0: return corners[labels[i]].0 + jitter
            case 1: return corners[labels[i]].1 + jitter
            default: return Float(cos(Double(i) * 1.7))
            }
        }
        let probe = try LinearProbe(features: features, labels: labels, classes: classes)
        XCTAssertEqual(probe.accuracy(features, labels: labels), 1)
        XCTAssertEqual(probe.predict(Matrix<Float>(rows: 1, cols: 3) { _, j in j == 0 ? -3 : j == 1 ? 3 : 0 }), [1])
        XCTAssertThrowsError(try LinearProbe(features: features, labels: labels.map { $0 + 1 }, classes: classes))
    }
}
