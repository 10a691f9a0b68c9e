// AllreduceTests — allreduce at one rank for every element type: out-of-place, in-place
// (array and buffer), scalar, each with sum / max / min; at one rank the result is the input.
import MPI
import XCTest

final class AllreduceTests: XCTestCase {
    private func checkAllreduce<T: Sample>(_ type: T.Type) throws {
        let comm = try testWorld()
        let input = samples(T.self, count: 13, seed: 3)
        for op in [ReductionOp.sum, .max, .min] {
            let out = try comm.allreduce(input, op: op)
            XCTAssertEqual(out, input, "\(T.self) out-of-place \(op)")

            var inPlace = input
            try comm.allreduce(inPlace: &inPlace, op: op)
            XCTAssertEqual(inPlace, input, "\(T.self) in-place \(op)")

            var viaBuffer = input
            try viaBuffer.withUnsafeMutableBufferPointer { try comm.allreduce(inPlace: $0, op: op) }
            XCTAssertEqual(viaBuffer, input, "\(T.self) buffer in-place \(op)")

            let one = try comm.allreduce(input[5], op: op)
            XCTAssertEqual(one, input[5], "\(T.self) scalar \(op)")
        }
        XCTAssertEqual(try comm.allreduce([T](), op: .sum), [], "\(T.self) empty allreduce")
        var empty = [T]()
        try comm.allreduce(inPlace: &empty, op: .max)
        XCTAssertTrue(empty.isEmpty)
    }

    func testAllreduceEveryTypeAndOp() throws {
        for t in sampleTypes { try checkAllreduce(t) }
    }

    func testUInt64Allreduce() throws {
        let comm = try testWorld()
        let big: [UInt64] = [0, 1, UInt64.max, 1 << 63]
        XCTAssertEqual(try comm.allreduce(big, op: .sum), big)
        XCTAssertEqual(try comm.allreduce(big, op: .min), big)
    }

    func testAnyTrue() throws {
        let comm = try testWorld()
        XCTAssertTrue(try comm.anyTrue(true))
        XCTAssertFalse(try comm.anyTrue(false))
    }
}
