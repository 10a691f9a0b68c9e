// MPITestSupport — shared set-up for the one-rank MPI tests: MPI is initialised once per
// process (never finalised: other test classes in the same process may still need it), and
// a `Sample` protocol lets one generic check run for every element type.
import MPI
import XCTest

/// The world communicator of this test process, initialising MPI on first use.
func testWorld() throws -> Communicator {
    try MPIEnvironment.initialize()
    return try Communicator.world()
}

/// An element type the tests can fill with distinct, small values.
protocol Sample: MPIScalar, Comparable {
    /// A value made from a small non-negative integer (< 128, so UInt8 holds it).
    static func make(_ i: Int) -> Self
}

extension Float: Sample { static func make(_ i: Int) -> Float { Float(i) + 0.5 } }
extension Double: Sample { static func make(_ i: Int) -> Double { Double(i) - 0.25 } }
extension Int32: Sample { static func make(_ i: Int) -> Int32 { Int32(i) - 40 } }
extension Int64: Sample { static func make(_ i: Int) -> Int64 { Int64(i) * 1_000_000_007 } }
extension UInt8: Sample { static func make(_ i: Int) -> UInt8 { UInt8(i % 128) } }

/// Every element type the tests cover (UInt64 travels the same path as Int64).
let sampleTypes: [any Sample.Type] = [Float.self, Double.self, Int32.self, Int64.self, UInt8.self]

/// `count` distinct-looking values of `T`, shifted by `seed`.
func samples<T: Sample>(_ type: T.Type, count: Int, seed: Int = 0) -> [T] {
    (0..<count).map { T.make(($0 * 37 + seed * 11) % 101) }
}

/// Asserts that `body` throws an ``MPIError`` for which `matches` holds.
func assertThrowsMPIError<R>(
    _ body: @autoclosure () throws -> R, _ what: String,
    file: StaticString = #filePath, line: UInt = #line,
    matches: (MPIError) -> Bool
) {
    XCTAssertThrowsError(try body(), what, file: file, line: line) { error in
        guard let e = error as? MPIError else {
            return XCTFail("\(what): threw \(type(of: error)) \(error), not MPIError", file: file, line: line)
        }
        XCTAssertTrue(matches(e), "\(what): unexpected error \(e)", file: file, line: line)
    }
}

extension MPIError {
    var isSizeMismatch: Bool { if case .sizeMismatch = self { return true } else { return false } }
    var isInvalidArgument: Bool { if case .invalidArgument = self { return true } else { return false } }
}
