// ErrorTests — misuse turns into typed MPIErrors: wrong counts are sizeMismatch, roots and
// peers outside the communicator are invalidArgument, and an error MPI itself returns
// carries MPI's own error string.
import CMPI  // the library's error classes (MPI_ERR_TAG, MPI_ERR_TRUNCATE), which differ between MPIs
import MPI
import XCTest

final class ErrorTests: XCTestCase {
    func testWrongCountsAreSizeMismatch() throws {
        let comm = try testWorld()
        let v: [Float] = [1, 2, 3]
        assertThrowsMPIError(try comm.allgatherv(v, counts: [3, 3]), "allgatherv counts.count != size") {
            $0.isSizeMismatch
        }
        assertThrowsMPIError(try comm.allgatherv(v, counts: [4]), "allgatherv own count wrong") {
            $0 == .sizeMismatch(function: "allgatherv", expected: 4, actual: 3)
        }
        assertThrowsMPIError(try comm.reduceScatter(v, counts: [2], op: .sum), "reduceScatter counts total != input") {
            $0 == .sizeMismatch(function: "reduceScatter", expected: 2, actual: 3)
        }
        assertThrowsMPIError(try comm.reduceScatter(v, counts: [3, 0], op: .sum), "reduceScatter counts.count != size")
        { $0.isSizeMismatch }
        var out = [Float](repeating: 0, count: 2)
        try v.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                assertThrowsMPIError(
                    try comm.reduceScatter(src, into: dst, counts: [3], op: .sum), "reduceScatter output too small"
                ) {
                    $0 == .sizeMismatch(function: "reduceScatter", expected: 3, actual: 2)
                }
            }
        }
        assertThrowsMPIError(
            try comm.iallgather(MPIBuffer(v), into: MPIBuffer<Float>(repeating: 0, count: 2)),
            "iallgather receive too small"
        ) {
            $0 == .sizeMismatch(function: "iallgather", expected: 3, actual: 2)
        }
        let d = MPIError.sizeMismatch(function: "f", expected: 4, actual: 3).description
        XCTAssertTrue(d.contains("4") && d.contains("3") && d.contains("f"), d)
    }

    func testNegativeCountsAreInvalidArgument() throws {
        let comm = try testWorld()
        assertThrowsMPIError(try comm.reduceScatter([Float](), counts: [-1], op: .sum), "reduceScatter negative count")
        {
            $0.isInvalidArgument
        }
        assertThrowsMPIError(try comm.recv(count: -1, from: 0, as: Float.self), "recv negative count") {
            $0.isInvalidArgument
        }
    }

    func testBadRootsAndPeersAreInvalidArgument() throws {
        let comm = try testWorld()
        var a: [Double] = [1, 2]
        assertThrowsMPIError(try comm.bcast(&a, root: 1), "bcast root 1 of 1") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.broadcast(a, root: -1), "broadcast root -1") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.broadcast("text", root: 2), "broadcast string root 2") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.gather(a, root: 1), "gather root 1") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.gatherv(a, root: 7), "gatherv root 7") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.send(a, to: 1), "send to rank 1") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.recv(count: 2, from: -2, as: Double.self), "recv from -2") {
            $0.isInvalidArgument
        }
        assertThrowsMPIError(try comm.sendrecv(a, to: 0, receiveCount: 2, from: 1), "sendrecv from 1") {
            $0.isInvalidArgument
        }
        assertThrowsMPIError(try comm.isend(MPIBuffer(a), to: 1), "isend to 1") { $0.isInvalidArgument }
        assertThrowsMPIError(try comm.irecv(into: MPIBuffer(a), from: 1), "irecv from 1") { $0.isInvalidArgument }
        XCTAssertEqual(a, [1, 2], "a failed bcast leaves the buffer alone")
        if case .invalidArgument(let text) = MPIError.invalidArgument("bcast: root 1 is not a rank") {
            XCTAssertEqual(MPIError.invalidArgument(text).description, text)
        }
    }

    func testMPIReturnedErrorCarriesMPIErrorString() throws {
        let comm = try testWorld()
        // A negative tag (other than MPI_ANY_TAG) is rejected by MPI itself; the world
        // communicator returns errors instead of aborting, so the wrapper must throw.
        XCTAssertThrowsError(try comm.send([Int32(1)], to: 0, tag: -5)) { error in
            guard case .call(let function, let code, let message)? = error as? MPIError else {
                return XCTFail("expected MPIError.call, got \(error)")
            }
            XCTAssertEqual(function, "MPI_Send")
            XCTAssertNotEqual(code, 0)
            XCTAssertFalse(message.isEmpty)
            XCTAssertEqual(message, errorString(code))
            XCTAssertTrue(message.uppercased().contains("TAG"), "MPI's text for a bad tag: \(message)")
            XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            XCTAssertEqual((error as? MPIError)?.errorClass, cmpi_err_tag(), "MPI_ERR_TAG's class: \(error)")
            XCTAssertTrue("\(error)".contains(message), "description must carry MPI's text: \(error)")
            XCTAssertTrue("\(error)".contains("MPI_Send"))
        }
    }

    func testErrorStringOfKnownCodes() {
        XCTAssertFalse(errorString(0).isEmpty, "MPI_SUCCESS has a text")
        XCTAssertNotEqual(errorString(1), errorString(2), "different codes, different texts")
        let e = MPIError.call(function: "MPI_Bcast", code: 3, message: errorString(3))
        XCTAssertTrue(e.description.contains(errorString(3)))
        XCTAssertTrue(e.description.contains("MPI_Bcast"))
    }
}

final class ReceiveCountTests: XCTestCase {
    func testShortMessageIsSizeMismatch() throws {
        let comm = try testWorld()
        // Sent nonblocking: a blocking send to self may wait for its receive (MPICH's does).
        let send = try comm.isend(MPIBuffer<Float>([1, 2]), to: 0, tag: 41)
        assertThrowsMPIError(try comm.recv(count: 3, from: 0, tag: 41, as: Float.self), "recv of 3 gets 2") {
            $0 == .sizeMismatch(function: "recv", expected: 3, actual: 2)
        }
        try send.wait()
        assertThrowsMPIError(
            try comm.sendrecv([Int64(5)], to: 0, receiveCount: 4, from: 0, tag: 42), "sendrecv of 4 gets 1"
        ) {
            $0 == .sizeMismatch(function: "sendrecv", expected: 4, actual: 1)
        }
    }

    func testLongMessageIsMPITruncateError() throws {
        let comm = try testWorld()
        let long = try comm.isend(MPIBuffer<Int32>([1, 2, 3, 4]), to: 0, tag: 43)
        XCTAssertThrowsError(try comm.recv(count: 3, from: 0, tag: 43, as: Int32.self)) { error in
            guard case .call(let function, let code, let message)? = error as? MPIError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(function, "MPI_Recv")
            XCTAssertEqual(message, errorString(code))
            XCTAssertTrue(message.uppercased().contains("TRUNC"), message)
            XCTAssertEqual((error as? MPIError)?.errorClass, cmpi_err_truncate(), "MPI_ERR_TRUNCATE's class: \(error)")
        }
        _ = try? long.wait()  // completed by the truncated receive; its status may carry the error
        // The channel is clean afterwards: the next message arrives whole.
        let next = try comm.isend(MPIBuffer<Int32>([9]), to: 0, tag: 43)
        XCTAssertEqual(try comm.recv(count: 1, from: 0, tag: 43, as: Int32.self), [9])
        try next.wait()
    }
}
