// TestSupport — random matrices from the shared SplitMix64 (the TestSupport target),
// and central-difference gradient checking shared by the InfoMax tests.
import Foundation
import Linalg
import TestSupport
import XCTest

/// Test data from ``SplitMix64`` (TestSupport): Gaussian draws and matrices.
struct TestRNG {
    var base: SplitMix64
    init(seed: UInt64) { base = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { base.next() }
    /// Uniform in (0, 1).
    mutating func uniform() -> Double { base.uniform() }
    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double { base.gaussian() }
    mutating func matrix<T: BLASScalar>(_ rows: Int, _ cols: Int, scale s: Double = 1, as: T.Type = T.self) -> Matrix<T>
    {
        Matrix(rows: rows, cols: cols) { _, _ in T(s * gaussian()) }
    }
}

/// ‖x − y‖ / max(‖x‖, ‖y‖, floor).
func relativeError<T: BLASScalar>(_ x: Matrix<T>, _ y: Matrix<T>, floor: Double = 1e-12) -> Double {
    precondition(x.rows == y.rows && x.cols == y.cols)
    var d = 0.0
    var nx = 0.0
    var ny = 0.0
    for i in x.storage.indices {
        let a = Double(x.storage[i])
        let b = Double(y.storage[i])
        d += (a - b) * (a - b)
        nx += a * a
        ny += b * b
    }
    return d.squareRoot() / max(nx.squareRoot(), ny.squareRoot(), floor)
}

/// Central-difference gradient of `f` with respect to every entry of `x`.
func numericGradient(_ x: Matrix<Double>, h: Double = 1e-5, _ f: (Matrix<Double>) throws -> Double) rethrows -> Matrix<
    Double
> {
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
func assertGradient(
    _ analytic: Matrix<Double>, _ numeric: Matrix<Double>, tol: Double = 1e-6, expectZero: Bool = false,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    if expectZero {
        XCTAssertEqual(analytic.maxAbs, 0, "\(what): expected a zero gradient", file: file, line: line)
        return
    }
    XCTAssertGreaterThan(
        numeric.maxAbs, 1e-8, "\(what): the numeric gradient is zero, the check would be vacuous", file: file,
        line: line)
    let e = relativeError(analytic, numeric)
    XCTAssertLessThan(e, tol, "\(what): relative error \(e)", file: file, line: line)
}
