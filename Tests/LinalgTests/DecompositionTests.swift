// DecompositionTests — singular values of matrices whose values are known by construction or
// by hand, the thin SVD reconstructing A with orthonormal factors, and the condition number.
import Linalg
import XCTest

final class DecompositionTests: XCTestCase {
    func testSingularValuesOfTwoByTwoByHand() throws {
        // AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5, so σ = √45 and √5.
        let a = try Matrix<Double>([[3, 0], [4, 5]])
        let s = try singularValues(a)
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s[0], sqrt(45.0), accuracy: 1e-12)
        XCTAssertEqual(s[1], sqrt(5.0), accuracy: 1e-12)
        XCTAssertEqual(try conditionNumber(a), 3, accuracy: 1e-12)
        let f = try singularValues(a.converted(to: Float.self))
        assertClose(f, [sqrt(45.0), sqrt(5.0)], rtol: 1e-6, atol: 0, "Float singular values")
    }

    func testSingularValuesOfRotatedDiagonal() throws {
        // Q₁ · diag(3, 2, 1) · Q₂ᵀ with dense orthogonal Q₁, Q₂ has singular values 3, 2, 1.
        let q1 = orthogonal(3, seed: 0.3)
        let q2 = orthogonal(3, seed: 1.1)
        XCTAssertLessThan((matmul(q1, .transpose, q1, .none) - .identity(3)).maxAbs, 1e-12, "Q₁ is orthogonal")
        let d = try Matrix<Double>([[3, 0, 0], [0, 2, 0], [0, 0, 1]])
        let a = matmul(matmul(q1, d), .none, q2, .transpose)
        XCTAssertGreaterThan(abs(a[0, 1]), 1e-3, "the rotations make A dense")
        assertClose(try singularValues(a), [3, 2, 1], rtol: 1e-12, atol: 1e-12, "Double rotated diag(3, 2, 1)")
        assertClose(
            try singularValues(a.converted(to: Float.self)), [3, 2, 1], rtol: 1e-5, atol: 1e-5,
            "Float rotated diag(3, 2, 1)")
        XCTAssertEqual(try conditionNumber(a), 3, accuracy: 1e-10)
    }

    func testNonSquareSingularValues() throws {
        // Four-by-three: first three columns of a 4×4 orthogonal matrix times diag(5, 2, 0.5) times Vᵀ.
        let u = orthogonal(4, seed: 0.2).converted(to: Double.self)
        let u3 = Matrix<Double>(rows: 4, cols: 3) { u[$0, $1] }
        let v = orthogonal(3, seed: 2.0)
        let s = try Matrix<Double>([[5, 0, 0], [0, 2, 0], [0, 0, 0.5]])
        let a = matmul(matmul(u3, s), .none, v, .transpose)
        assertClose(try singularValues(a), [5, 2, 0.5], rtol: 1e-12, atol: 1e-12, "4×3 singular values")
        assertClose(try singularValues(a.transposed), [5, 2, 0.5], rtol: 1e-12, atol: 1e-12, "3×4 singular values")
        XCTAssertEqual(try conditionNumber(a), 10, accuracy: 1e-10)
    }

    private func checkSVDReconstructs<T: BLASScalar>(_: T.Type, rows: Int, cols: Int, tol: Double) throws {
        let a = randomMatrix(T.self, rows, cols, seed: UInt64(rows * 10 + cols))
        let (u, s, vt) = try svd(a)
        let k = min(rows, cols)
        XCTAssertEqual(u.shape.rows, rows)
        XCTAssertEqual(u.shape.cols, k)
        XCTAssertEqual(vt.shape.rows, k)
        XCTAssertEqual(vt.shape.cols, cols)
        XCTAssertEqual(s, s.sorted(by: >), "singular values come largest first")
        XCTAssertTrue(s.allSatisfy { $0 >= 0 })
        assertClose(s, try singularValues(a).map(Double.init), rtol: tol, atol: tol, "svd S equals singularValues")
        // A = U · diag(S) · Vᵀ
        let us = Matrix<T>(rows: rows, cols: k) { u[$0, $1] * s[$1] }
        let back = matmul(us, vt)
        assertClose(back.storage, a.storage.map(Double.init), rtol: tol, atol: tol, "\(T.self) \(rows)×\(cols) U·S·Vᵀ")
        // Orthonormal columns of U and rows of Vᵀ.
        assertClose(
            matmul(u, .transpose, u, .none).storage, Matrix<Double>.identity(k).storage, rtol: 0, atol: tol, "UᵀU = I")
        assertClose(
            matmul(vt, .none, vt, .transpose).storage, Matrix<Double>.identity(k).storage, rtol: 0, atol: tol, "VᵀV = I"
        )
    }

    func testSVDReconstructsA() throws {
        try checkSVDReconstructs(Double.self, rows: 6, cols: 4, tol: 1e-12)
        try checkSVDReconstructs(Double.self, rows: 3, cols: 5, tol: 1e-12)
        try checkSVDReconstructs(Float.self, rows: 7, cols: 3, tol: 1e-5)
        try checkSVDReconstructs(Float.self, rows: 4, cols: 4, tol: 1e-5)
    }

    func testConditionNumberOfSingularAndEmpty() throws {
        let singular = try Matrix<Double>([[1, 2], [2, 4]])
        let c = try conditionNumber(singular)
        XCTAssertTrue(c.isInfinite || c > 1e15, "a rank-1 matrix is (numerically) singular: \(c)")
        XCTAssertEqual(try conditionNumber(Matrix<Double>.identity(4)), 1, accuracy: 1e-14)
        XCTAssertTrue(try conditionNumber(Matrix<Float>(rows: 0, cols: 3)).isNaN)
        XCTAssertEqual(try singularValues(Matrix<Float>(rows: 0, cols: 3)), [])
        XCTAssertEqual(try svd(Matrix<Double>(rows: 3, cols: 0)).s, [])
    }

    func testNaNInputThrowsOrReportsNaN() throws {
        let bad = try Matrix<Double>([[.nan, 1], [1, 1]])
        do {
            let s = try singularValues(bad)
            XCTAssertTrue(s.contains { $0.isNaN }, "LAPACK returned \(s) for a NaN input without an error")
        } catch let LinalgError.lapack(routine, _) {
            XCTAssertEqual(routine, "gesdd")
        }
    }

    func testCholeskySolveByHandAndAgainstTheProduct() throws {
        // A = [[4, 2], [2, 3]] = L·Lᵀ with L = [[2, 0], [1, √2]]; A·[1, 2]ᵀ = [8, 8]ᵀ.
        let a = try Matrix<Double>([[4, 2], [2, 3]])
        let f = try choleskyFactor(a)
        XCTAssertEqual(f[0, 0], 2, accuracy: 1e-15)
        XCTAssertEqual(f[1, 0], 1, accuracy: 1e-15)
        XCTAssertEqual(f[1, 1], 2.0.squareRoot(), accuracy: 1e-15)
        var b = try Matrix<Double>([[8], [8]])
        try choleskySolve(factor: f, &b)
        assertClose(b.storage, [1, 2], rtol: 1e-14, atol: 1e-14, "2×2 solve")
        // A dense SPD A = MᵀM + I (6×6), three right-hand sides at once: A·X = B gives X back.
        let m = Matrix<Double>(rows: 6, cols: 6) { i, j in sin(Double(3 * i + 7 * j) + 0.5) }
        let spd = matmul(m, .transpose, m, .none) + .identity(6)
        let x = Matrix<Double>(rows: 6, cols: 3) { i, j in cos(Double(i - 2 * j)) }
        var rhs = matmul(spd, x)
        try choleskySolve(factor: try choleskyFactor(spd), &rhs)
        assertClose(rhs.storage, x.storage, rtol: 1e-10, atol: 1e-10, "6×6 solve, three right-hand sides")
    }

    func testCholeskyOfAnIndefiniteOrNonSquareMatrixThrows() throws {
        XCTAssertThrowsError(try choleskyFactor(try Matrix<Double>([[1, 2], [2, 1]]))) { error in
            guard case LinalgError.lapack(let routine, let info) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(routine, "dpotrf")
            XCTAssertEqual(info, 2, "the leading 2×2 minor is not positive definite")
        }
        XCTAssertThrowsError(try choleskyFactor(Matrix<Double>(rows: 2, cols: 3)))
        var b = Matrix<Double>(rows: 3, cols: 1)
        XCTAssertThrowsError(try choleskySolve(factor: .identity(2), &b))
    }
}
