// TestSupport — a small deterministic generator (SplitMix64 + Box–Muller), random matrices,
// and central-difference gradient checking shared by the InfoMax tests.
import Foundation
import Linalg
import XCTest

/// SplitMix64: a tiny reproducible generator for test data.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }
    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
    mutating func matrix<T: BLASScalar>(_ rows: Int, _ cols: Int, scale s: Double = 1, as: T.Type = T.self) -> Matrix<T> {
        Matrix(rows: rows, cols: cols) { _, _ in T(s * gaussian()) }
    }
}

/// ‖x − y‖ / max(‖x‖, ‖y‖, floor).
func relativeError<T: BLASScalar>(_ x: Matrix<T>, _ y: Matrix<T>, floor: Double = 1e-12) -> Double {
    precondition(x.rows == y.rows && x.cols == y.cols)
    var d = 0.0, nx = 0.0, ny = 0.0
    for i in x.storage.indices {
        let a = Double(x.storage[i]), b = Double(y.storage[i])
        d += (a - b) * (a - b); nx += a * a; ny += b * b
    }
    return d.squareRoot() / max(nx.squareRoot(), ny.squareRoot(), floor)
}

/// Central-difference gradient of `f` with respect to every entry of `x`.
func numericGradient(_ x: Matrix<Double>, h: Double = 1e-5, _ f: (Matrix<Double>) throws -> Double) rethrows -> Matrix<Double> {
    var g = Matrix<Double>(rows: x.rows, cols: x.cols)
    var xp = x
    for i in x.storage.indices {
        let v = x.storage[i]
        xp.storage[i] = v + h
        let fp = try f(xp)
        xp.storage[i] = v - h
        let fm = try f(xp)
        xp.storage[i] = v
        g.storage[i] = (fp - fm) / (2 * h)
    }
    return g
}

/// Asserts the analytic gradient matches central differences (relative error below `tol`)
/// and is not trivially zero (unless `expectZero`).
func assertGradient(_ analytic: Matrix<Double>, _ numeric: Matrix<Double>, tol: Double = 1e-6, expectZero: Bool = false,
                    _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    if expectZero {
        XCTAssertEqual(analytic.maxAbs, 0, "\(what): expected a zero gradient", file: file, line: line)
        return
    }
    XCTAssertGreaterThan(numeric.maxAbs, 1e-8, "\(what): the numeric gradient is zero, the check would be vacuous", file: file, line: line)
    let e = relativeError(analytic, numeric)
    XCTAssertLessThan(e, tol, "\(what): relative error \(e)", file: file, line: line)
}
