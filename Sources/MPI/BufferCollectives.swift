// MPI/BufferCollectives.swift — the MPI library's own all-reduce over a region of an MPIBuffer,
// in place, one Swift call per MPI call: MPI_Allreduce (blocking), MPI_Iallreduce (a Request)
// and MPI-4's persistent MPI_Allreduce_init (a PersistentRequest, where the library has it);
// counts beyond `int` through LargeCounts.swift (the `_c` calls, or `int`-sized pieces).
// The library picks the algorithm (recursive doubling, Rabenseifner, node-aware, offload) by
// message size and rank count; the sum's rounding order is therefore the library's.
import CMPI

extension MPIEnvironment {
    /// Whether the MPI library has MPI-4's persistent collectives (`MPI_Allreduce_init`),
    /// decided when CMPI's header was compiled (`MPI_VERSION >= 4`: MPICH 4 yes, Open MPI 4.1
    /// no). Without them ``Communicator/allreduceInit(inPlace:range:op:)`` throws.
    public static var hasPersistentCollectives: Bool { cmpi_has_persistent_collectives() != 0 }
}

extension Communicator {
    /// Checks that `range` lies in a buffer of `count` elements.
    func checkRange(_ range: Range<Int>, in count: Int, _ function: String) throws {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw MPIError.invalidArgument("\(function): range \(range) is outside the buffer of \(count) elements.")
        }
    }

    /// `buffer[range]` is replaced by its element-wise reduction over all ranks
    /// (MPI_Allreduce with MPI_IN_PLACE). Every rank passes a range of the same count.
    public func allreduce<T: MPIScalar>(inPlace buffer: MPIBuffer<T>, range: Range<Int>, op: ReductionOp) throws {
        try checkRange(range, in: buffer.count, "allreduce(inPlace:range:)")
        guard !range.isEmpty else { return }
        try allreduce(inPlace: UnsafeMutableBufferPointer(rebasing: buffer.storage[range]), op: op)
    }

    /// Starts the in-place reduction of `buffer[range]` over all ranks (MPI_Iallreduce with
    /// MPI_IN_PLACE); do not touch the region until the returned request completes. A region
    /// beyond MPI's `int` is one MPI_Iallreduce_c where the library has it (MPI-4), else one
    /// MPI_Iallreduce per `int`-sized piece under the one request.
    public func iallreduce<T: MPIScalar>(inPlace buffer: MPIBuffer<T>, range: Range<Int>, op: ReductionOp) throws
        -> Request
    {
        try checkRange(range, in: buffer.count, "iallreduce(inPlace:range:)")
        var requests = [RequestSlot](repeating: cmpi_request_null(), count: LargeCounts.requestCount(range.count))
        try requests.withUnsafeMutableBufferPointer { slots in
            try startIallreduce(
                inPlace: buffer.storage.baseAddress.map { $0 + range.lowerBound }, count: range.count, op: op,
                requests: slots.baseAddress!)
        }
        return Request(handles: requests, retaining: [buffer, owner], function: "iallreduce")
    }

    /// A persistent in-place all-reduce of `buffer[range]` (MPI-4 MPI_Allreduce_init): set up
    /// once (collective: every rank, same order), then ``PersistentRequest/start()`` and
    /// ``PersistentRequest/wait()`` as often as needed; a region beyond MPI's `int` is one
    /// MPI_Allreduce_init_c, or one request per `int`-sized piece started together (the chunked
    /// path, where the `_c` calls are turned off). Throws when the library lacks
    /// persistent collectives (``MPIEnvironment/hasPersistentCollectives``).
    public func allreduceInit<T: MPIScalar>(inPlace buffer: MPIBuffer<T>, range: Range<Int>, op: ReductionOp) throws
        -> PersistentRequest
    {
        try checkRange(range, in: buffer.count, "allreduceInit(inPlace:range:)")
        guard MPIEnvironment.hasPersistentCollectives else {
            throw MPIError.invalidArgument(
                "allreduceInit: this MPI library (\(MPIEnvironment.standardVersion.major).\(MPIEnvironment.standardVersion.minor)) has no MPI-4 persistent collectives; use iallreduce(inPlace:range:op:)."
            )
        }
        var requests = [RequestSlot](repeating: cmpi_request_null(), count: LargeCounts.requestCount(range.count))
        try requests.withUnsafeMutableBufferPointer { slots in
            try initAllreduce(
                inPlace: buffer.storage.baseAddress.map { $0 + range.lowerBound }, count: range.count, op: op,
                requests: slots.baseAddress!)
        }
        return PersistentRequest(handles: requests, buffer: buffer, communicator: owner, function: "allreduceInit")
    }
}
