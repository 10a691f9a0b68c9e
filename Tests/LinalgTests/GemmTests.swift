// GemmTests — gemm in all four transpose combinations against a naive triple loop, for Float
// and Double, on non-square shapes with α and β; matmul; the raw strided kernel; k = 0.
import Linalg
import XCTest

final class GemmTests: XCTestCase {
    private func checkAllTransposes<T: BLASScalar>(_: T.Type, rtol: Double) {
        let (m, n, k) = (5, 3, 7)
        var seed: UInt64 = 1
        for ta in [Transpose.none, .transpose] {
            for tb in [Transpose.none, .transpose] {
                let a = ta == .none ? randomMatrix(T.self, m, k, seed: seed) : randomMatrix(T.self, k, m, seed: seed)
                let b =
                    tb == .none
                    ? randomMatrix(T.self, k, n, seed: seed + 1) : randomMatrix(T.self, n, k, seed: seed + 1)
                let c0 = randomMatrix(T.self, m, n, seed: seed + 2)
                seed += 3
                for (alpha, beta) in [(1.0, 0.0), (-0.5, 2.0), (1.75, -1.0)] {
                    var c = c0
                    gemm(a, ta, b, tb, alpha: T(alpha), beta: T(beta), into: &c)
                    let want = naiveGemm(a, ta, b, tb, alpha: alpha, beta: beta, c: c0)
                    assertClose(
                        c.storage, want, rtol: rtol, atol: rtol, "\(T.self) gemm \(ta)/\(tb) α=\(alpha) β=\(beta)")
                }
                let product = matmul(a, ta, b, tb, alpha: T(3))
                XCTAssertEqual(product.rows, m)
                XCTAssertEqual(product.cols, n)
                assertClose(
                    product.storage, naiveGemm(a, ta, b, tb, alpha: 3, beta: 0, c: c0), rtol: rtol, atol: rtol,
                    "\(T.self) matmul \(ta)/\(tb)")
            }
        }
    }

    func testGemmAllTransposesFloat() { checkAllTransposes(Float.self, rtol: 1e-5) }
    func testGemmAllTransposesDouble() { checkAllTransposes(Double.self, rtol: 1e-12) }

    func testBetaZeroIgnoresNaNInOutput() {
        let a = randomMatrix(Double.self, 2, 3, seed: 9)
        let b = randomMatrix(Double.self, 3, 2, seed: 10)
        var c = Matrix<Double>(rows: 2, cols: 2, repeating: .nan)
        gemm(a, .none, b, .none, alpha: 1, beta: 0, into: &c)
        XCTAssertFalse(c.storage.contains { $0.isNaN }, "β = 0 must overwrite, not scale, the old output")
    }

    func testKnownSmallProduct() throws {
        let a = try Matrix<Float>([[1, 2, 3], [4, 5, 6]])
        let b = try Matrix<Float>([[7, 8], [9, 10], [11, 12]])
        XCTAssertEqual(matmul(a, b).storage, [58, 64, 139, 154])
        XCTAssertEqual(matmul(a, .transpose, a, .none).storage, [17, 22, 27, 22, 29, 36, 27, 36, 45])
        XCTAssertEqual(matmul(a, .none, a, .transpose).storage, [14, 32, 32, 77])
        XCTAssertEqual(matmul(a, b, alpha: 2).storage, [116, 128, 278, 308], "no-transpose overload with alpha")
        var c = Matrix<Float>(rows: 2, cols: 2, repeating: 1)
        gemm(a, b, alpha: 1, beta: 10, into: &c)
        XCTAssertEqual(c.storage, [68, 74, 149, 164], "no-transpose gemm overload with beta")
    }

    func testEmptyInnerDimension() {
        let a = Matrix<Double>(rows: 2, cols: 0)
        let b = Matrix<Double>(rows: 0, cols: 3)
        var c = Matrix<Double>(rows: 2, cols: 3, repeating: 4)
        gemm(a, .none, b, .none, alpha: 1, beta: 0.5, into: &c)
        XCTAssertEqual(c.storage, [Double](repeating: 2, count: 6), "k = 0: C ← β·C")
        gemm(a, .none, b, .none, alpha: 1, beta: 0, into: &c)
        XCTAssertEqual(c.storage, [Double](repeating: 0, count: 6), "k = 0, β = 0: C ← 0")
        XCTAssertEqual(matmul(Matrix<Float>(rows: 0, cols: 4), Matrix<Float>(rows: 4, cols: 2)).shape.rows, 0)
    }

    func testRawKernelOnStridedSubBlocks() {
        // Multiply the top-left 2×3 block of a 4×5 matrix by the top-left 3×2 block of a 3×4 one,
        // writing into columns 1..<3 of a 2×4 output.
        let a = randomMatrix(Double.self, 4, 5, seed: 21)
        let b = randomMatrix(Double.self, 3, 4, seed: 22)
        var c = Matrix<Double>(rows: 2, cols: 4, repeating: 7)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    Double.gemm(
                        .none, .none, m: 2, n: 2, k: 3, alpha: 1, a: pa.baseAddress!, lda: 5,
                        b: pb.baseAddress!, ldb: 4, beta: 0, c: pc.baseAddress! + 1, ldc: 4)
                }
            }
        }
        for i in 0..<2 {
            XCTAssertEqual(c[i, 0], 7)
            XCTAssertEqual(c[i, 3], 7)
            for j in 0..<2 {
                let want = (0..<3).reduce(0.0) { $0 + a[i, $1] * b[$1, j] }
                XCTAssertEqual(c[i, j + 1], want, accuracy: 1e-12)
            }
        }
    }
}
