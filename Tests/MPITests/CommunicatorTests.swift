// CommunicatorTests — the environment and the communicator at one rank: initialise twice,
// versions, rank / size, barrier, wtime, split into sub-communicators.
import MPI
import XCTest

final class CommunicatorTests: XCTestCase {
    func testEnvironment() throws {
        let level = try MPIEnvironment.initialize()
        XCTAssertEqual(try MPIEnvironment.initialize(), level, "initialising twice is harmless and reports the same level")
        XCTAssertGreaterThanOrEqual(level.rawValue, MPIEnvironment.ThreadLevel.funneled.rawValue)
        XCTAssertTrue(MPIEnvironment.isInitialized)
        XCTAssertFalse(MPIEnvironment.isFinalized)
        XCTAssertGreaterThanOrEqual(MPIEnvironment.standardVersion.major, 3)
        XCTAssertTrue(MPIEnvironment.libraryVersion.contains("MPI"), MPIEnvironment.libraryVersion)
        XCTAssertFalse(MPIEnvironment.libraryVersion.hasSuffix("\n"))
        XCTAssertFalse(MPIEnvironment.processorName.isEmpty)
    }

    func testWorldAtOneRank() throws {
        let comm = try testWorld()
        XCTAssertEqual(comm.size, 1)
        XCTAssertEqual(comm.rank, 0)
        XCTAssertTrue(comm.isRoot)
        try comm.barrier()
    }

    func testWtimeAdvances() throws {
        let comm = try testWorld()
        let t0 = comm.wtime()
        usleep(20_000)
        let t1 = MPIEnvironment.wtime()
        XCTAssertGreaterThan(t1 - t0, 0.015)
        XCTAssertLessThan(t1 - t0, 5)
    }

    func testSplit() throws {
        let comm = try testWorld()
        let sub = try XCTUnwrap(try comm.split(color: 3, key: 10))
        XCTAssertEqual(sub.size, 1)
        XCTAssertEqual(sub.rank, 0)
        XCTAssertEqual(try sub.allreduce([Int32(4), 5], op: .sum), [4, 5])
        try sub.barrier()
        try sub.free()
        XCTAssertNil(try comm.split(color: nil), "color nil leaves this rank out")
    }
}
