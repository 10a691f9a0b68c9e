// MPI/Communicator.swift — the communicator as an object: rank, size, split, barrier,
// abort. The typed collectives live in Collectives.swift, point-to-point in PointToPoint.swift.
import CMPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A group of ranks that communicate (an MPI communicator).
///
/// ``Communicator/world`` is every process of the job; ``split(color:key:)`` makes
/// sub-groups. All collectives must be called by every rank of the communicator, in the
/// same order, with matching sizes.
public struct Communicator: @unchecked Sendable {
    let handle: MPI_Comm
    /// This process's rank in the communicator, `0..<size`.
    public let rank: Int
    /// The number of ranks in the communicator.
    public let size: Int

    init(handle: MPI_Comm) throws {
        self.handle = handle
        var r: Int32 = 0, s: Int32 = 0
        try check(MPI_Comm_rank(handle, &r), "MPI_Comm_rank")
        try check(MPI_Comm_size(handle, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    /// Every process of the job. MPI must be initialised (``MPIEnvironment/initialize()``).
    public static func world() throws -> Communicator {
        guard MPIEnvironment.isInitialized else {
            throw MPIError.invalidArgument("MPI is not initialised: call MPIEnvironment.initialize() first.")
        }
        return try Communicator(handle: cmpi_comm_world())
    }

    /// Whether this rank is the root (rank 0), the one that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Splits the communicator: ranks with the same `color` form a new communicator, ordered
    /// by `key` (ties by old rank). A rank passing `color: nil` gets `nil` back.
    public func split(color: Int?, key: Int = 0) throws -> Communicator? {
        var newComm: MPI_Comm? = cmpi_comm_null()
        let c = try color.map { try mpiCount($0, "split(color:)") } ?? cmpi_undefined()
        try check(MPI_Comm_split(handle, c, Int32(truncatingIfNeeded: key), &newComm), "MPI_Comm_split")
        guard let comm = newComm, comm != cmpi_comm_null() else { return nil }
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        return try Communicator(handle: comm)
    }

    /// The ranks of this communicator that share memory with this one (the same node):
    /// MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), ordered by rank. Free it when done.
    public func splitSharedMemory() throws -> Communicator {
        var newComm: MPI_Comm? = cmpi_comm_null()
        try check(MPI_Comm_split_type(handle, cmpi_comm_type_shared(), Int32(truncatingIfNeeded: rank), cmpi_info_null(), &newComm),
                  "MPI_Comm_split_type")
        guard let comm = newComm, comm != cmpi_comm_null() else {
            throw MPIError.invalidArgument("MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) returned no communicator")
        }
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        return try Communicator(handle: comm)
    }

    /// Releases a communicator made by ``split(color:key:)`` or ``splitSharedMemory()``. Never call it on `world`.
    public func free() throws {
        var h: MPI_Comm? = handle
        try check(MPI_Comm_free(&h), "MPI_Comm_free")
    }

    /// Blocks until every rank of the communicator has called it.
    public func barrier() throws {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Wall-clock seconds (MPI_Wtime).
    public func wtime() -> Double { MPI_Wtime() }

    /// Prints `message` once (from this rank, to standard error) and takes every rank of the
    /// job down with exit code `code`. Use it when one rank alone hit an error the others
    /// cannot know about; errors every rank sees alike should exit collectively instead.
    public func abort(code: Int32 = 1, message: String) -> Never {
        let line = "infomax: error (rank \(rank) of \(size)): \(message)\n"
        fputs(line, stderr)
        fflush(stderr)
        fflush(stdout)
        MPI_Abort(handle, code)
        exit(code) // MPI_Abort does not return; this is for the type checker.
    }

    /// True on every rank if `flag` is true on any rank (an all-reduce of a logical OR).
    /// The way ranks agree on "stop now" (a signal, an error one rank found).
    public func anyTrue(_ flag: Bool) throws -> Bool {
        try allreduce(Int32(flag ? 1 : 0), op: .max) != 0
    }
}
