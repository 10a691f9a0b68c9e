// LinalgTestSupport — reference implementations and helpers for the Linalg tests: a seeded
// generator for reproducible matrices, a naive triple-loop product, rotations, closeness checks.
import Linalg
import TestSupport
import XCTest

/// A `rows × cols` matrix of uniform values in [-1, 1).
func randomMatrix<T: BLASScalar>(_: T.Type, _ rows: Int, _ cols: Int, seed: UInt64) -> Matrix<T> {
    var g = SplitMix64(seed: seed)
    return Matrix<T>(rows: rows, cols: cols) { _, _ in T(Double.random(in: -1..<1, using: &g)) }
}

/// α·op(A)·op(B) + β·C by the definition, accumulated in Double.
func naiveGemm<T: BLASScalar>(
    _ a: Matrix<T>, _ ta: Transpose, _ b: Matrix<T>, _ tb: Transpose,
    alpha: Double, beta: Double, c: Matrix<T>
) -> [Double] {
    let opA = ta == .none ? a : a.transposed
    let opB = tb == .none ? b : b.transposed
    precondition(opA.cols == opB.rows && c.rows == opA.rows && c.cols == opB.cols)
    var out = [Double](repeating: 0, count: c.rows * c.cols)
    for i in 0..<opA.rows {
        for j in 0..<opB.cols {
            var s = 0.0
            for p in 0..<opA.cols { s += Double(opA[i, p]) * Double(opB[p, j]) }
            out[i * c.cols + j] = alpha * s + beta * Double(c[i, j])
        }
    }
    return out
}

/// The `n × n` rotation by `angle` in the (p, q) plane.
func givens(_ n: Int, _ p: Int, _ q: Int, _ angle: Double) -> Matrix<Double> {
    var g = Matrix<Double>.identity(n)
    g[p, p] = cos(angle)
    g[q, q] = cos(angle)
    g[p, q] = -sin(angle)
    g[q, p] = sin(angle)
    return g
}

/// A dense orthogonal `n × n` matrix: a product of rotations in every plane.
func orthogonal(_ n: Int, seed: Double) -> Matrix<Double> {
    var q = Matrix<Double>.identity(n)
    var angle = seed
    for p in 0..<n {
        for r in (p + 1)..<max(n, p + 1) where r < n {
            q = matmul(q, givens(n, p, r, angle))
            angle += 0.7
        }
    }
    return q
}

/// Asserts `actual` matches `expected` element-wise within `atol + rtol·|expected|`.
func assertClose<T: BLASScalar>(
    _ actual: [T], _ expected: [Double], rtol: Double, atol: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(what): lengths differ", file: file, line: line)
    var worst = 0.0
    var worstIndex = -1
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let err = abs(Double(a) - e) - (atol + rtol * abs(e))
        if !(err <= worst) {
            worst = err.isNaN ? .infinity : err
            worstIndex = i
        }
    }
    if worstIndex >= 0 {
        XCTFail(
            "\(what): element \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex])", file: file,
            line: line)
    }
}
