import Linalg
// LatentLinear (Ren & Li 2023): latent covariance ≈ diag(λ), orthonormal / Gaussian loadings,
// views = A z + noise, validation.
import XCTest

@testable import Synthetic

final class LatentLinearTests: XCTestCase {
    func testLatentCovarianceMatchesSpectrum() throws {
        let m = LatentLinear(n: 20_000, r: 4, d1: 12, d2: 9, spectrum: .geometric(decay: 0.5), seed: 3)
        XCTAssertEqual(m.lambdas, [1, 0.5, 0.25, 0.125])
        XCTAssertEqual(m.latentConditionNumber, 8, accuracy: 1e-12)
        let s = try m.makeSampler()
        var z = Matrix<Float>(rows: 0, cols: 0)
        try s.fillLatents(0..<m.n, into: &z)
        let cov = matmul(z.converted(to: Double.self), .transpose, z.converted(to: Double.self), alpha: 1 / Double(m.n))
        let l = m.lambdas
        let n = Double(m.n)
        for j in 0..<4 {
            for k in 0..<4 {
                let expected = j == k ? l[j] : 0
                let sd = j == k ? l[j] * (2 / n).squareRoot() : (l[j] * l[k] / n).squareRoot()
                assertWithin5Sigma(cov[j, k], expected, sd: sd, "latent covariance (\(j), \(k))")
            }
        }
        XCTAssertEqual(try m.latent(of: 123), z.row(123))
    }

    func testOrthonormalLoadingsAndViews() throws {
        let m = LatentLinear(
            n: 3000, r: 5, d1: 20, d2: 7, spectrum: .explicit([4, 2, 1, 0.5, 0.1]),
            noiseSigma1: 0.3, noiseSigma2: 0, seed: 8)
        let s = try m.makeSampler()
        XCTAssertEqual(s.a1.rows, 20)
        XCTAssertEqual(s.a1.cols, 5)
        XCTAssertEqual(s.a2.rows, 7)
        XCTAssertEqual(s.a2.cols, 5)
        for a in [s.a1, s.a2] {
            let g = matmul(a, .transpose, a)
            for i in 0..<5 { for j in 0..<5 { XCTAssertEqual(g[i, j], i == j ? 1 : 0, accuracy: 1e-5) } }
        }
        XCTAssertEqual(try m.a1(), s.a1)
        XCTAssertNotEqual(s.a1.rows(0..<7), s.a2, "A1 and A2 come from different streams")
        var x1 = Matrix<Float>(rows: 0, cols: 0)
        var x2 = Matrix<Float>(rows: 0, cols: 0)
        var z = Matrix<Float>(rows: 0, cols: 0)
        try s.fillViews(0..<m.n, x1: &x1, x2: &x2, latents: &z)
        XCTAssertEqual(x1.rows, m.n)
        XCTAssertEqual(x1.cols, 20)
        XCTAssertEqual(x2.cols, 7)
        // x2 = A2 z exactly (no noise); x1 − A1 z has variance 0.09.
        let clean1 = matmul(z, .none, s.a1, .transpose)
        let clean2 = matmul(z, .none, s.a2, .transpose)
        for k in 0..<x2.storage.count { XCTAssertEqual(x2.storage[k], clean2.storage[k], accuracy: 1e-5) }
        let e = (x1 - clean1).storage.map(Double.init)
        assertWithin5Sigma(
            Stats.variance(e), 0.09, sd: 0.09 * (2 / Double(e.count)).squareRoot(), "view-1 noise variance")
        // Test split: same loadings, different samples.
        var t = m
        t.split = .test
        let st = try t.makeSampler()
        XCTAssertEqual(st.a1, s.a1)
        var zt = Matrix<Float>(rows: 0, cols: 0)
        try st.fillLatents(0..<3, into: &zt)
        XCTAssertNotEqual(zt.row(0), z.row(0))
    }

    func testGaussianLoadingsHaveUnitColumnNorms() throws {
        let m = LatentLinear(n: 10, r: 3, d1: 2000, d2: 2, loadings: .gaussian, seed: 1)
        let a = try m.a1()
        for j in 0..<3 {
            let norm2 = Double((0..<2000).map { a[$0, j] * a[$0, j] }.reduce(0, +))
            assertWithin5Sigma(norm2, 1, sd: (2.0 / 2000).squareRoot(), "column \(j) squared norm")
        }
    }

    func testValidation() {
        func message(_ m: LatentLinear) -> String? {
            do {
                try m.validate()
                return nil
            } catch { return "\(error)" }
        }
        XCTAssertNil(message(LatentLinear(n: 5)))
        XCTAssertEqual(
            message(LatentLinear(n: 5, r: 4, d1: 3)),
            "LatentLinear: d1 must be >= r = 4 for orthonormal loadings, got 3")
        XCTAssertNil(message(LatentLinear(n: 5, r: 4, d1: 3, d2: 3, loadings: .gaussian)))
        XCTAssertEqual(
            message(LatentLinear(n: 5, r: 2, spectrum: .explicit([1]))),
            "LatentLinear: spectrum must be r = 2 values, got 1 values")
        XCTAssertEqual(
            message(LatentLinear(n: 5, spectrum: .geometric(decay: 1.5))),
            "LatentLinear: spectrum decay must be in (0, 1], got 1.5")
        XCTAssertEqual(
            message(LatentLinear(n: 5, noiseSigma2: -1)), "LatentLinear: noiseSigma2 must be >= 0 and finite, got -1.0")
        XCTAssertThrowsError(try LatentLinear(n: 5).latent(of: 5))
    }
}
