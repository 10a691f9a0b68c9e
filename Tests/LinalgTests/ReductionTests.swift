// ReductionTests — row / column sums and maxima, norms, and the stable log-sum-exp and softmax:
// equal to the naive formula for small values, finite and exact for huge ones.
import Linalg
import XCTest

final class ReductionTests: XCTestCase {
    func testSumsMaximaNorms() throws {
        let a = try Matrix<Double>([[1, -2, 3], [4, 5, -6]])
        XCTAssertEqual(a.rowSums(), [2, 3])
        XCTAssertEqual(a.columnSums(), [5, 3, -3])
        XCTAssertEqual(a.rowMax(), [3, 5])
        XCTAssertEqual(a.columnMax(), [4, 5, 3])
        XCTAssertEqual(a.sum, 5)
        XCTAssertEqual(a.maxAbs, 6)
        XCTAssertEqual(a.frobeniusNorm, (1 + 4 + 9 + 16 + 25 + 36 as Double).squareRoot(), accuracy: 1e-12)
        let norms = a.rowNorms()
        XCTAssertEqual(norms[0], 14.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(norms[1], 77.0.squareRoot(), accuracy: 1e-12)
        let empty = Matrix<Float>(rows: 2, cols: 0)
        XCTAssertEqual(empty.rowMax(), [-.infinity, -.infinity])
        XCTAssertEqual(empty.rowSums(), [0, 0])
        XCTAssertEqual(empty.columnSums(), [])
    }

    private func naiveLSE(_ xs: [Double]) -> Double { log(xs.reduce(0) { $0 + exp($1) }) }

    private func checkLogSumExpSmall<T: BLASScalar>(_: T.Type, rtol: Double) {
        let a = randomMatrix(T.self, 4, 6, seed: 5)
        let d = a.converted(to: Double.self)
        assertClose(
            a.rowLogSumExp(), (0..<4).map { naiveLSE(d.row($0)) }, rtol: rtol, atol: rtol, "\(T.self) rowLogSumExp")
        assertClose(
            a.columnLogSumExp(), (0..<6).map { naiveLSE(d.column($0)) }, rtol: rtol, atol: rtol,
            "\(T.self) columnLogSumExp")
    }

    func testLogSumExpMatchesNaiveForSmallValues() {
        checkLogSumExpSmall(Float.self, rtol: 1e-6)
        checkLogSumExpSmall(Double.self, rtol: 1e-14)
    }

    private func checkLogSumExpHuge<T: BLASScalar>(_: T.Type, rtol: Double) throws {
        let a = try Matrix<T>([[1000, 1001], [-1000, -1001]])
        let want = [1001 + log1p(exp(-1.0)), -1000 + log1p(exp(-1.0))]
        assertClose(a.rowLogSumExp(), want, rtol: rtol, atol: 0, "\(T.self) rowLogSumExp of huge values")
        let t = a.transposed
        assertClose(t.columnLogSumExp(), want, rtol: rtol, atol: 0, "\(T.self) columnLogSumExp of huge values")
        XCTAssertTrue(
            naiveLSE([1000, 1001]).isInfinite, "the naive formula overflows here, so the test means something")
    }

    func testLogSumExpStableForHugeValues() throws {
        try checkLogSumExpHuge(Float.self, rtol: 1e-6)
        try checkLogSumExpHuge(Double.self, rtol: 1e-15)
    }

    func testLogSumExpWithInfinities() throws {
        let a = try Matrix<Double>([[-.infinity, 0, -.infinity], [-.infinity, -.infinity, -.infinity]])
        XCTAssertEqual(a.rowLogSumExp(), [0, -.infinity])
        XCTAssertEqual(a.transposed.columnLogSumExp(), [0, -.infinity])
    }

    private func checkSoftmax<T: BLASScalar>(_: T.Type, tol: Double) throws {
        var a = randomMatrix(T.self, 5, 7, seed: 8)
        scale(&a, by: 30)
        let lse = a.rowLogSumExp()
        let s = a.softmaxedRows()
        for (i, sum) in s.rowSums().enumerated() {
            XCTAssertEqual(Double(sum), 1, accuracy: tol, "\(T.self) softmax row \(i) sums to \(sum)")
            for j in 0..<7 {
                XCTAssertGreaterThanOrEqual(s[i, j], 0)
                XCTAssertEqual(Double(s[i, j]), exp(Double(a[i, j]) - Double(lse[i])), accuracy: tol)
            }
        }
        var huge = try Matrix<T>([[1000, 1001, 1000]])
        huge.softmaxRows()
        let e = exp(1.0)
        let z = 2 + e
        assertClose(huge.storage, [1 / z, e / z, 1 / z], rtol: tol, atol: tol, "\(T.self) softmax of huge values")
    }

    func testSoftmaxRowsSumToOne() throws {
        try checkSoftmax(Float.self, tol: 1e-5)
        try checkSoftmax(Double.self, tol: 1e-13)
    }
}
