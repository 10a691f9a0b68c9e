// PointToPointTests — a rank talking to itself: sendrecv, isend / irecv, the nonblocking
// collectives, and the Request life cycle (test / wait twice, waitAll, MPIBuffer basics).
import MPI
import XCTest

final class PointToPointTests: XCTestCase {
    private func checkSelfMessages<T: Sample>(_ type: T.Type) throws {
        let comm = try testWorld()
        let values = samples(T.self, count: 17, seed: 5)

        let echoed = try comm.sendrecv(values, to: 0, receiveCount: 17, from: 0, tag: 4)
        XCTAssertEqual(echoed, values, "\(T.self) sendrecv to self")

        let inbox = MPIBuffer<T>(repeating: T.make(0), count: 17)
        let recv = try comm.irecv(into: inbox, from: 0, tag: 9)
        let send = try comm.isend(MPIBuffer(values), to: 0, tag: 9)
        try Request.waitAll([recv, send])
        XCTAssertTrue(recv.isComplete && send.isComplete)
        XCTAssertEqual(inbox.array, values, "\(T.self) isend/irecv to self")

        let reduced = MPIBuffer(values)
        try comm.iallreduce(reduced, op: .sum).wait()
        XCTAssertEqual(reduced.array, values, "\(T.self) iallreduce")

        let gathered = MPIBuffer<T>(repeating: T.make(0), count: 17)
        try comm.iallgather(MPIBuffer(values), into: gathered).wait()
        XCTAssertEqual(gathered.array, values, "\(T.self) iallgather")
    }

    func testSelfMessagesEveryType() throws {
        for t in sampleTypes { try checkSelfMessages(t) }
    }

    func testBlockingSendThenRecvToSelf() throws {
        let comm = try testWorld()
        // A blocking send to self may wait for its receive (MPICH's does, even for 12 bytes), so
        // the other side of each blocking call is posted first, nonblocking.
        let received = MPIBuffer<Int32>(repeating: 0, count: 3)
        let receive = try comm.irecv(into: received, from: 0, tag: 1)
        try comm.send([Int32(7), 8, 9], to: 0, tag: 1)
        try receive.wait()
        XCTAssertEqual(received.array, [7, 8, 9])
        let send = try comm.isend(MPIBuffer<Int32>([4, 5]), to: 0, tag: 2)
        XCTAssertEqual(try comm.recv(count: 2, from: 0, tag: 2, as: Int32.self), [4, 5])
        try send.wait()
    }

    func testTagsKeepMessagesApart() throws {
        let comm = try testWorld()
        let a = MPIBuffer<Double>(repeating: 0, count: 2)
        let b = MPIBuffer<Double>(repeating: 0, count: 2)
        let ra = try comm.irecv(into: a, from: 0, tag: 1)
        let rb = try comm.irecv(into: b, from: 0, tag: 2)
        let sb = try comm.isend(MPIBuffer([2.0, 2.5]), to: 0, tag: 2)
        let sa = try comm.isend(MPIBuffer([1.0, 1.5]), to: 0, tag: 1)
        try Request.waitAll([ra, rb, sa, sb])
        XCTAssertEqual(a.array, [1.0, 1.5])
        XCTAssertEqual(b.array, [2.0, 2.5])
    }

    func testRequestTestAndWaitTwice() throws {
        let comm = try testWorld()
        let inbox = MPIBuffer<Float>(repeating: 0, count: 4)
        let recv = try comm.irecv(into: inbox, from: 0, tag: 3)
        XCTAssertFalse(recv.isComplete)
        XCTAssertFalse(try recv.test(), "nothing was sent yet, the receive cannot be complete")
        let send = try comm.isend(MPIBuffer<Float>([1, 2, 3, 4]), to: 0, tag: 3)
        var spins = 0
        while try !recv.test() {
            spins += 1
            XCTAssertLessThan(spins, 1_000_000, "a self-message never arrived")
            if spins >= 1_000_000 { break }
        }
        XCTAssertTrue(recv.isComplete)
        XCTAssertTrue(try recv.test(), "test after completion stays true")
        try recv.wait()
        try recv.wait()
        try send.wait()
        try send.wait()
        XCTAssertTrue(try send.test())
        XCTAssertEqual(inbox.array, [1, 2, 3, 4])
    }

    func testDroppedRequestWaitsInDeinit() throws {
        let comm = try testWorld()
        let send = try comm.isend(MPIBuffer<Int64>([5, 6, 7]), to: 0, tag: 11)
        let inbox = MPIBuffer<Int64>(repeating: 0, count: 3)
        do {
            // The receive request is dropped unfinished: its deinit must wait for the data.
            _ = try comm.irecv(into: inbox, from: 0, tag: 11)
        }
        XCTAssertEqual(inbox.array, [5, 6, 7])
        try send.wait()
    }

    func testMPIBufferBasics() {
        let b = MPIBuffer<Int32>(repeating: 1, count: 5)
        XCTAssertEqual(b.count, 5)
        XCTAssertEqual(b.array, [1, 1, 1, 1, 1])
        b.assign([7, 8], at: 2)
        b[0] = 9
        XCTAssertEqual(b.array, [9, 1, 7, 8, 1])
        XCTAssertEqual(Array(b.reversed()), [1, 8, 7, 1, 9])
        b.withUnsafeMutableBufferPointer { $0[4] = 4 }
        XCTAssertEqual(b.withUnsafeBufferPointer { $0.reduce(0, +) }, 29)
        XCTAssertEqual(MPIBuffer<Float>([]).count, 0)
        XCTAssertEqual(MPIBuffer<UInt8>(repeating: 0, count: -3).count, 0)
    }
}
