// MatrixTests — the Matrix value type: construction (and the shape errors it throws),
// element access, rows / columns, transpose, reshape, precision conversion, Codable.
import Foundation
import Linalg
import XCTest

final class MatrixTests: XCTestCase {
    func testShapeErrorsAreThrown() {
        XCTAssertThrowsError(try Matrix<Float>(rows: 2, cols: 3, storage: [1, 2, 3])) { error in
            guard case LinalgError.shapeMismatch(let text)? = error as? LinalgError else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("6") && text.contains("3"), text)
            XCTAssertTrue("\(error)".hasPrefix("shape mismatch"), "\(error)")
        }
        XCTAssertThrowsError(try Matrix<Double>(rows: -1, cols: 2, storage: [])) { XCTAssertTrue($0 is LinalgError) }
        XCTAssertThrowsError(try Matrix<Double>([[1, 2], [3]])) { error in
            XCTAssertEqual(error as? LinalgError, .shapeMismatch("Matrix rows have different lengths"))
        }
        XCTAssertTrue(LinalgError.lapack(routine: "gesdd", info: -4).description.contains("argument 4"))
        XCTAssertTrue(LinalgError.lapack(routine: "gesdd", info: 2).description.contains("did not converge"))
    }

    func testConstructionAndAccess() throws {
        let a = Matrix<Double>(rows: 3, cols: 4) { Double($0 * 10 + $1) }
        XCTAssertEqual(a.shape.rows, 3)
        XCTAssertEqual(a.shape.cols, 4)
        XCTAssertEqual(a[2, 1], 21)
        XCTAssertEqual(a.storage[2 * 4 + 1], 21, "row-major")
        XCTAssertEqual(a.row(1), [10, 11, 12, 13])
        XCTAssertEqual(a.column(2), [2, 12, 22])
        XCTAssertEqual(a.rows(1..<3).storage, [10, 11, 12, 13, 20, 21, 22, 23])
        XCTAssertEqual(a.rows(1..<1).shape.rows, 0)
        let t = a.transposed
        XCTAssertEqual(t.shape.rows, 4)
        XCTAssertEqual(t.shape.cols, 3)
        XCTAssertEqual(t[1, 2], a[2, 1])
        XCTAssertEqual(t.transposed, a)
        XCTAssertEqual(Matrix<Float>.identity(2).storage, [1, 0, 0, 1])
        XCTAssertEqual(Matrix<Float>(rows: 2, cols: 2, repeating: 3).storage, [3, 3, 3, 3])
        XCTAssertEqual(try Matrix<Float>([[1, 2], [3, 4]]).storage, [1, 2, 3, 4])
        XCTAssertEqual(try Matrix<Float>([]).shape.rows, 0)
        var b = a
        b[0, 0] = -1
        XCTAssertEqual(a[0, 0], 0, "value semantics: writing a copy leaves the original alone")
        XCTAssertTrue(a.description.hasPrefix("Matrix 3×4"))
    }

    func testReshape() {
        var a = Matrix<Float>(rows: 2, cols: 6) { Float($0 * 6 + $1) }
        a.reshape(rows: 3, cols: 4)
        XCTAssertEqual(a.shape.rows, 3)
        XCTAssertEqual(a.shape.cols, 4)
        XCTAssertEqual(a.storage, (0..<12).map(Float.init), "same count keeps the storage")
        a.reshape(rows: 2, cols: 2)
        XCTAssertEqual(a.storage, [0, 0, 0, 0], "a new count zero-fills")
        a.reshape(rows: 0, cols: 5)
        XCTAssertEqual(a.storage.count, 0)
    }

    func testConversionAndCodable() throws {
        let a = try Matrix<Double>([[0.1, -2.5], [1e10, 3]])
        let f = a.converted(to: Float.self)
        XCTAssertEqual(f.storage, [0.1, -2.5, 1e10, 3] as [Float])
        XCTAssertEqual(f.converted(to: Double.self)[1, 1], 3)
        let data = try JSONEncoder().encode(a)
        XCTAssertEqual(try JSONDecoder().decode(Matrix<Double>.self, from: data), a)
    }
}
