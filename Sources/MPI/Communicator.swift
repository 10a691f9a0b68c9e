// MPI/Communicator.swift — the communicator as an object: rank, size, split, duplicate,
// barrier, abort. The typed collectives live in Collectives.swift, point-to-point in
// PointToPoint.swift. A derived communicator's MPI handle is freed once, when its last copy
// goes (CommunicatorHandle); `world`'s never.
import CMPI

/// A group of ranks that communicate (an MPI communicator).
///
/// ``Communicator/world()`` is every process of the job; ``split(color:key:)``,
/// ``splitSharedMemory()`` and ``duplicate()`` make derived communicators. A derived
/// communicator is released (MPI_Comm_free) exactly once, when its last copy goes out of
/// use; `world` is never released. All collectives must be called by every rank of the
/// communicator, in the same order, with matching sizes.
public struct Communicator: @unchecked Sendable {
    /// Owns the MPI handle; shared by the copies of this value.
    let owner: CommunicatorHandle
    /// The MPI handle, valid as long as this value is in use.
    var handle: MPI_Comm { owner.handle }
    /// This process's rank in the communicator, `0..<size`.
    public let rank: Int
    /// The number of ranks in the communicator.
    public let size: Int

    /// Wraps `handle`; `owned` communicators (derived ones) are freed by the wrapper.
    init(handle: MPI_Comm, owned: Bool) throws {
        // Own it first: if asking for rank or size fails, a derived handle is still freed.
        owner = CommunicatorHandle(handle, owned: owned)
        var r: Int32 = 0
        var s: Int32 = 0
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
        return try Communicator(handle: cmpi_comm_world(), owned: false)
    }

    /// Whether this rank is the root (rank 0), the one that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Splits the communicator: ranks with the same `color` form a new communicator, ordered
    /// by `key` (ties by old rank). A rank passing `color: nil` gets `nil` back.
    public func split(color: Int?, key: Int = 0) throws -> Communicator? {
        var newComm: CommunicatorSlot = cmpi_comm_null()
        let c = try color.map { try mpiCount($0, "split(color:)") } ?? cmpi_undefined()
        try check(MPI_Comm_split(handle, c, Int32(truncatingIfNeeded: key), &newComm), "MPI_Comm_split")
        guard let comm = madeCommunicator(newComm) else { return nil }
        return try Communicator(derived: comm)
    }

    /// The ranks of this communicator that share memory with this one (the same node):
    /// MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), ordered by rank.
    public func splitSharedMemory() throws -> Communicator {
        var newComm: CommunicatorSlot = cmpi_comm_null()
        try check(
            MPI_Comm_split_type(
                handle, cmpi_comm_type_shared(), Int32(truncatingIfNeeded: rank), cmpi_info_null(), &newComm),
            "MPI_Comm_split_type")
        guard let comm = madeCommunicator(newComm) else {
            throw MPIError.invalidArgument("MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) returned no communicator")
        }
        return try Communicator(derived: comm)
    }

    /// A communicator of the same ranks in the same order with its own message space
    /// (MPI_Comm_dup): a library's messages on it never match the caller's. Collective.
    public func duplicate() throws -> Communicator {
        var newComm: CommunicatorSlot = cmpi_comm_null()
        try check(MPI_Comm_dup(handle, &newComm), "MPI_Comm_dup")
        guard let comm = madeCommunicator(newComm) else {
            throw MPIError.invalidArgument("MPI_Comm_dup returned no communicator")
        }
        return try Communicator(derived: comm)
    }

    /// Wraps a communicator this process just made: owned (freed when the last copy goes),
    /// with errors returned as codes like on `world`.
    private init(derived comm: MPI_Comm) throws {
        try self.init(handle: comm, owned: true)
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    }

    /// Blocks until every rank of the communicator has called it.
    public func barrier() throws {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Wall-clock seconds (MPI_Wtime).
    public func wtime() -> Double { MPI_Wtime() }

    /// Prints `program: error (rank R of N): message` once (from this rank, to standard error)
    /// and takes every rank of the job down with exit code `code`. `program` defaults to
    /// this executable's file name, as C's `err(3)` does. Use it when one rank alone hit an
    /// error the others cannot know about; errors every rank sees alike should exit
    /// collectively instead.
    public func abort(code: Int32 = 1, message: String, program: String = MPIEnvironment.programName) -> Never {
        let line = "\(program): error (rank \(rank) of \(size)): \(message)\n"
        writeToStandardError(line)  // after every C stream, so what this rank printed before comes first
        MPI_Abort(handle, code)
        exitProcess(code)  // MPI_Abort does not return; this is for the type checker.
    }

    /// True on every rank if `flag` is true on any rank (an all-reduce of a logical OR).
    /// The way ranks agree on "stop now" (a signal, an error one rank found).
    public func anyTrue(_ flag: Bool) throws -> Bool {
        try allreduce(Int32(flag ? 1 : 0), op: .max) != 0
    }
}

/// The MPI handle behind a ``Communicator`` and its copies. A derived communicator (`owned`)
/// is freed here, in `deinit` — so exactly once, after the last copy's last use; `world` is
/// never freed. After MPI_Finalize no MPI call is allowed, so nothing is freed then.
final class CommunicatorHandle {
    let handle: MPI_Comm
    let owned: Bool
    /// Derived handles made, and freed by MPI_Comm_free, in this process (for the tests).
    nonisolated(unsafe) static var made = 0, freed = 0

    init(_ handle: MPI_Comm, owned: Bool) {
        self.handle = handle
        self.owned = owned
        if owned { Self.made += 1 }
    }

    deinit {
        guard owned, MPIEnvironment.isInitialized, !MPIEnvironment.isFinalized else { return }
        var h: CommunicatorSlot = handle
        if MPI_Comm_free(&h) == cmpi_success() { Self.freed += 1 }
    }
}
