// Level1Tests — axpy, scale, dot and the element-wise operators built on them.
import Linalg
import XCTest

final class Level1Tests: XCTestCase {
    func testAxpyScaleDotOnArrays() {
        var y: [Double] = [1, 2, 3, 4]
        axpy(2, [0.5, -1, 0, 10], &y)
        XCTAssertEqual(y, [2, 0, 3, 24])
        scale(&y, by: -0.5)
        XCTAssertEqual(y, [-1, 0, -1.5, -12])
        XCTAssertEqual(dot([1, 2, 3] as [Float], [4, -5, 6]), 12)
        XCTAssertEqual(dot([Double](), []), 0)
        var empty = [Float]()
        axpy(3, [], &empty)
        scale(&empty, by: 2)
        XCTAssertTrue(empty.isEmpty)
    }

    func testDotMatchesNaiveOnLongVectors() {
        let x = randomMatrix(Double.self, 1, 1001, seed: 3).storage
        let y = randomMatrix(Double.self, 1, 1001, seed: 4).storage
        XCTAssertEqual(dot(x, y), zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-12)
    }

    func testMatrixOperators() throws {
        let a = try Matrix<Float>([[1, 2], [3, 4], [5, 6]])
        let b = try Matrix<Float>([[0.5, 0], [-1, 2], [1, 1]])
        XCTAssertEqual((a + b).storage, [1.5, 2, 2, 6, 6, 7])
        XCTAssertEqual((a - b).storage, [0.5, 2, 4, 2, 4, 5])
        XCTAssertEqual((2 * a).storage, [2, 4, 6, 8, 10, 12])
        var c = a
        c += b
        c -= b
        XCTAssertEqual(c, a)
        axpy(-1, a, &c)
        XCTAssertEqual(c.maxAbs, 0)
        var d = a
        d.multiplyElementwise(by: b)
        XCTAssertEqual(d.storage, [0.5, 0, -3, 8, 5, 6])
        d.apply { $0 * $0 }
        XCTAssertEqual(d.storage, [0.25, 0, 9, 64, 25, 36])
        var e = a
        scale(&e, by: 0)
        XCTAssertEqual(e.sum, 0)
    }
}
