// MPI/LibraryAllreduce.swift — the MPI library's in-place sum all-reduce of one region of an
// MPIBuffer, set up once and started every training step: MPI-4's persistent
// MPI_Allreduce_init where the library has it, else one MPI_Iallreduce per start. The same
// start / test / wait surface as PersistentRingAllreduce (both are a ``RepeatedReduction``),
// and nothing is allocated on the Swift side per start (the library may allocate inside). A
// region beyond MPI's `int` goes through LargeCounts.swift (`_c` calls, or `int`-sized pieces).
import CMPI

/// An in-place all-reduce over one region of a buffer that a training step starts, then
/// completes, again and again over the same ranks, region and operation.
public protocol RepeatedReduction: AnyObject {
    /// The region of the buffer that is reduced.
    var range: Range<Int> { get }
    /// Begins the reduction of the region's current contents; do not touch the region until it
    /// completes. Starting an active reduction is an error.
    func start() throws
    /// Moves the reduction on without blocking; whether it has completed (true if none is active).
    @discardableResult func test() throws -> Bool
    /// Blocks until the reduction has completed; returns at once if none is active.
    func wait() throws
}

extension PersistentRingAllreduce: RepeatedReduction {}

/// The library's all-reduce of `buffer[range]`, restarted every step: a persistent collective
/// (`MPI_Allreduce_init` + `MPI_Start`) when ``MPIEnvironment/hasPersistentCollectives``, else
/// `MPI_Iallreduce` per ``start()``. Sums in the order the library's algorithm chooses (the
/// same bits on every rank; across rank counts equal to float rounding, not bit for bit).
///
///     let sum = try LibraryAllreduce(communicator: comm, buffer: buffer, range: 0..<n, op: .sum)
///     try sum.start()   // every step
///     …                 // other work while it is in flight
///     try sum.wait()    // buffer[0..<n] holds the sum over ranks
public final class LibraryAllreduce<T: MPIScalar>: RepeatedReduction {
    /// The ranks that take part.
    public let communicator: Communicator
    public let range: Range<Int>
    /// The reduction applied.
    public let op: ReductionOp
    /// Whether starts use one persistent request (MPI-4) rather than an MPI_Iallreduce each.
    public let isPersistent: Bool
    private let buffer: MPIBuffer<T>
    private let persistent: PersistentRequest?
    /// The MPI_Iallreduce requests of one start: one, or one per `int`-sized piece of a region
    /// beyond MPI's `int` where the library lacks MPI_Iallreduce_c.
    private var handles: [RequestSlot]
    /// Whether a started reduction has not completed yet.
    public private(set) var isActive = false

    /// Sets up the reduction of `buffer[range]` (collective: every rank, in the same order,
    /// with the same count). `persistent: false` uses MPI_Iallreduce even where the library
    /// has persistent collectives.
    public init(
        communicator: Communicator, buffer: MPIBuffer<T>, range: Range<Int>, op: ReductionOp,
        persistent: Bool = MPIEnvironment.hasPersistentCollectives
    ) throws {
        try communicator.checkRange(range, in: buffer.count, "LibraryAllreduce")
        self.communicator = communicator
        self.range = range
        self.op = op
        self.buffer = buffer
        handles = [RequestSlot](repeating: cmpi_request_null(), count: LargeCounts.requestCount(range.count))
        isPersistent = persistent && MPIEnvironment.hasPersistentCollectives
        self.persistent =
            isPersistent ? try communicator.allreduceInit(inPlace: buffer, range: range, op: op) : nil
    }

    public func start() throws {
        guard !isActive else {
            throw MPIError.invalidArgument(
                "LibraryAllreduce: start() on a reduction that has not completed; wait() first.")
        }
        if let persistent {
            try persistent.start()
        } else {
            let base = buffer.storage.baseAddress.map { $0 + range.lowerBound }
            try handles.withUnsafeMutableBufferPointer { slots in
                try communicator.startIallreduce(
                    inPlace: base, count: range.count, op: op, requests: slots.baseAddress!)
            }
        }
        isActive = true
    }

    @discardableResult
    public func test() throws -> Bool {
        guard isActive else { return true }
        if let persistent {
            isActive = !(try persistent.test())
        } else {
            var all = true
            for i in handles.indices {
                var flag: Int32 = 0
                try check(MPI_Test(&handles[i], &flag, cmpi_status_ignore()), "MPI_Test(LibraryAllreduce)")
                all = all && flag != 0
            }
            if all { isActive = false }
        }
        return !isActive
    }

    public func wait() throws {
        guard isActive else { return }
        if let persistent {
            try persistent.wait()
        } else {
            for i in handles.indices {
                try check(MPI_Wait(&handles[i], cmpi_status_ignore()), "MPI_Wait(LibraryAllreduce)")
            }
        }
        isActive = false
    }

    deinit {
        guard isActive, persistent == nil, MPIEnvironment.isInitialized, !MPIEnvironment.isFinalized else { return }
        for i in handles.indices { _ = MPI_Wait(&handles[i], cmpi_status_ignore()) }
    }
}
