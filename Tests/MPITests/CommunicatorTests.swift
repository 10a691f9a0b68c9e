import XCTest

// CommunicatorTests — the environment and the communicator at one rank: initialise twice,
// versions, rank / size, barrier, wtime, split and duplicate, and that a derived communicator
// is freed exactly once (when its last copy and request go) while `world` never is.
@testable import MPI

#if canImport(Glibc)
    import Glibc
#endif

final class CommunicatorTests: XCTestCase {
    func testEnvironment() throws {
        let level = try MPIEnvironment.initialize()
        XCTAssertEqual(
            try MPIEnvironment.initialize(), level, "initialising twice is harmless and reports the same level")
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

    /// MPI_Wtime moves forward with the system's monotonic clock: over a sleep bracketed by
    /// CLOCK_MONOTONIC readings it advances at least the time slept and at most the bracket
    /// (an order of readings, not a guess at how long the machine takes).
    func testWtimeAdvances() throws {
        let comm = try testWorld()
        func monotonic() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        let m0 = monotonic()
        let t0 = comm.wtime()
        usleep(20_000)
        let t1 = MPIEnvironment.wtime()
        let m1 = monotonic()
        XCTAssertGreaterThanOrEqual(t1 - t0, 0.020 - 1e-4, "usleep(20 ms) sleeps at least 20 ms")
        XCTAssertLessThanOrEqual(t1 - t0, m1 - m0 + 1e-3, "MPI_Wtime ran faster than CLOCK_MONOTONIC")
    }

    func testSplit() throws {
        let comm = try testWorld()
        let sub = try XCTUnwrap(try comm.split(color: 3, key: 10))
        XCTAssertEqual(sub.size, 1)
        XCTAssertEqual(sub.rank, 0)
        XCTAssertEqual(try sub.allreduce([Int32(4), 5], op: .sum), [4, 5])
        try sub.barrier()
        XCTAssertNil(try comm.split(color: nil), "color nil leaves this rank out")
        let dup = try comm.duplicate()
        XCTAssertEqual(dup.size, comm.size)
        XCTAssertEqual(dup.rank, comm.rank)
        XCTAssertEqual(try dup.allreduce(Int64(7), op: .max), 7)
    }

    /// Copies share one handle: it is freed once, after the last copy — and after the last
    /// request on it; `world` and its copies are never freed.
    func testDerivedCommunicatorsAreFreedExactlyOnce() throws {
        let comm = try testWorld()
        let (made, freed) = (CommunicatorHandle.made, CommunicatorHandle.freed)
        var pending: [Request] = []
        let received = MPIBuffer<Int32>(repeating: 0, count: 1)
        do {
            let sub = try XCTUnwrap(try comm.split(color: 0))
            let copy = sub
            let dup = try copy.duplicate()
            XCTAssertEqual(CommunicatorHandle.made - made, 2, "split and duplicate each made one handle")
            XCTAssertEqual(try dup.allreduce(Int32(2), op: .sum), 2)
            // A message to itself on the split, left in flight past the end of this scope.
            pending = [
                try sub.irecv(into: received, from: 0, tag: 5), try copy.isend(MPIBuffer<Int32>([42]), to: 0, tag: 5),
            ]
        }
        XCTAssertEqual(
            CommunicatorHandle.freed - freed, 1,
            "the duplicate is freed after its last use; the split waits for its requests")
        try Request.waitAll(pending)
        XCTAssertEqual(received.array, [42])
        pending = []
        XCTAssertEqual(CommunicatorHandle.freed - freed, 2, "each derived handle freed exactly once")
        for _ in 0..<3 { _ = try Communicator.world() }
        XCTAssertEqual(CommunicatorHandle.freed - freed, 2, "world is never freed")
        try comm.barrier()
    }
}
