// Small statistics helpers shared by the Synthetic tests (means, variances, 5-sigma bounds).
import XCTest

enum Stats {
    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    static func variance(_ x: [Double]) -> Double {
        let m = mean(x)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
    }
}

/// Asserts |value − expected| ≤ 5·sd.
func assertWithin5Sigma(
    _ value: Double, _ expected: Double, sd: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertLessThanOrEqual(
        abs(value - expected), 5 * sd, "\(what): \(value) vs \(expected) (5σ = \(5 * sd))", file: file, line: line)
}
