// MPI/PersistentRingAllreduce.swift — a nonblocking sum all-reduce of one region of an
// MPIBuffer over a ring of ranks, built on persistent point-to-point requests: set up once,
// then started every training step and completed by wait()/test() without allocating.
// Open MPI 4.1's MPI_Iallreduce mallocs its schedule on every call, and even its persistent
// MPIX_Allreduce_init allocates on every start, which the allocation check of a step refuses.
import CMPI

/// A nonblocking in-place sum all-reduce of `buffer[range]`: a ring reduce-scatter of p chunks
/// (p − 1 shifts, adding), then a ring all-gather of the sums (p − 1 shifts), each shift one
/// persistent send and receive made at set-up. ``start()`` begins it and returns at once;
/// ``test()`` moves it on as far as the transfers allow (adding a received chunk, starting
/// the next shift) without blocking; ``wait()`` finishes it. Each chunk is summed by one rank
/// in ring order and then copied, so every rank ends with the same bits. Several requests
/// over disjoint regions of one buffer may be in flight at once (give each its own tag).
///
///     let buffer = MPIBuffer<Float>(repeating: 0, count: n)
///     let first = try PersistentRingAllreduce(communicator: comm, buffer: buffer, range: 0..<half, tag: 1)
///     // every step: write buffer[0..<half], then
///     try first.start()
///     …                                 // other work while it is in flight
///     try first.wait()                  // buffer[0..<half] now holds the sum over ranks
///
/// The request keeps its buffer and its communicator alive; released while active, it waits.
public final class PersistentRingAllreduce<T: MPIScalar & AdditiveArithmetic> {
    /// The ranks that take part.
    public let communicator: Communicator
    /// The region of the buffer that is reduced.
    public let range: Range<Int>
    private let buffer: MPIBuffer<T>
    private let scratch: MPIBuffer<T>
    /// Per shift: the send, the receive, and (reduce-scatter shifts) where the received chunk is added.
    private var shifts: [(send: PersistentRequest, receive: PersistentRequest, addAt: Int?, count: Int)] = []
    private var next = 0
    /// Whether a started reduction has not completed yet.
    public private(set) var isActive = false

    /// Sets up the 2(p − 1) shifts of the ring over `buffer[range]` (collective in the sense
    /// that every rank must create the same requests, in the same order, with the same tag).
    public init(communicator: Communicator, buffer: MPIBuffer<T>, range: Range<Int>, tag: Int) throws {
        guard range.lowerBound >= 0, range.upperBound <= buffer.count else {
            throw MPIError.invalidArgument(
                "PersistentRingAllreduce: range \(range) is outside the buffer of \(buffer.count) elements.")
        }
        self.communicator = communicator
        self.range = range
        self.buffer = buffer
        let p = communicator.size
        let r = communicator.rank
        let n = range.count
        let ring = RingSchedule(ranks: p, rank: r, count: n)
        scratch = MPIBuffer(repeating: .zero, count: p > 1 ? ring.largestChunk : 0)
        guard p > 1, n > 0 else { return }
        let nextRank = (r + 1) % p
        let previousRank = (r + p - 1) % p
        let base = buffer.storage.baseAddress!
        let tmp = scratch.storage.baseAddress!
        func persistent(
            send start: Int, _ count: Int, receiveInto target: UnsafeMutablePointer<T>, _ receiveCount: Int,
            of owner: MPIBuffer<T>
        ) throws -> (PersistentRequest, PersistentRequest) {
            var send: RequestSlot = cmpi_request_null()
            var receive: RequestSlot = cmpi_request_null()
            try check(
                MPI_Send_init(
                    base + start, try mpiCount(count, "PersistentRingAllreduce"), T.mpiKind.datatype,
                    Int32(nextRank), Int32(tag), communicator.handle, &send), "MPI_Send_init")
            try check(
                MPI_Recv_init(
                    target, try mpiCount(receiveCount, "PersistentRingAllreduce"), T.mpiKind.datatype,
                    Int32(previousRank), Int32(tag), communicator.handle, &receive), "MPI_Recv_init")
            return (
                PersistentRequest(
                    handle: send, buffer: buffer, communicator: communicator.owner, function: "PersistentRingAllreduce"),
                PersistentRequest(
                    handle: receive, buffer: owner, communicator: communicator.owner,
                    function: "PersistentRingAllreduce")
            )
        }
        // The ring's shifts (``RingSchedule``), chunk offsets taken within the range.
        let at = range.lowerBound
        for s in 0..<(p - 1) {
            let (out, into) = ring.reduceScatter(shift: s)
            let (send, receive) = try persistent(
                send: at + out.start, out.count, receiveInto: tmp, into.count, of: scratch)
            shifts.append((send, receive, at + into.start, into.count))
        }
        for s in 0..<(p - 1) {
            let (out, into) = ring.allGather(shift: s)
            let (send, receive) = try persistent(
                send: at + out.start, out.count, receiveInto: base + at + into.start, into.count,
                of: buffer)
            shifts.append((send, receive, nil, into.count))
        }
    }

    /// Begins the reduction of the region's current contents; do not touch the region until
    /// it completes. Starting an active request is an error.
    public func start() throws {
        guard !isActive else {
            throw MPIError.invalidArgument(
                "PersistentRingAllreduce: start() on a reduction that has not completed; wait() first.")
        }
        guard !shifts.isEmpty else { return }
        next = 0
        isActive = true
        try startShift()
    }

    /// Moves the reduction on as far as the finished transfers allow, without blocking.
    /// Returns whether it has completed (true if none is active).
    @discardableResult
    public func test() throws -> Bool { try advance(blocking: false) }

    /// Blocks until the reduction has completed; returns at once if none is active.
    public func wait() throws { _ = try advance(blocking: true) }

    private func startShift() throws {
        try shifts[next].receive.start()
        try shifts[next].send.start()
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private func advance(blocking: Bool) throws -> Bool {
        while isActive {
            let shift = shifts[next]
            if blocking {
                try shift.receive.wait()
                try shift.send.wait()
            } else {
                let received = try shift.receive.test()
                guard try shift.send.test(), received else { return false }
            }
            if let at = shift.addAt {
                let dst = buffer.storage.baseAddress! + at
                let src = scratch.storage.baseAddress!
                for i in 0..<shift.count { dst[i] += src[i] }
            }
            next += 1
            if next < shifts.count { try startShift() } else { isActive = false }
        }
        return true
    }

    deinit {
        guard isActive, MPIEnvironment.isInitialized, !MPIEnvironment.isFinalized else { return }
        _ = try? wait()
    }
}
