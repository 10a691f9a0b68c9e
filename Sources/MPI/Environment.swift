// MPI/Environment.swift — the MPI runtime's lifetime: initialise once (MPI_Init_thread,
// FUNNELED: only the main thread talks to MPI), finalise exactly once, also on error paths.
import CMPI

/// The MPI runtime of this process.
///
/// Call ``MPIEnvironment/initialize()`` once at start-up and ``MPIEnvironment/finalize()``
/// before exiting (``MPIEnvironment/exit(_:)`` does both the finalise and the exit).
/// Both are idempotent, so error paths can call them without bookkeeping.
public enum MPIEnvironment {
    nonisolated(unsafe) private static var initializedByUs = false
    nonisolated(unsafe) private static var finalizedByUs = false

    /// The name ``Communicator/abort(code:message:program:)`` prints before its message by
    /// default: this executable's file name (argv[0] without its folder), as C's `err(3)`
    /// does. Set it at start-up to print another.
    nonisolated(unsafe) public static var programName: String =
        CommandLine.arguments.first.flatMap { $0.split(separator: "/").last.map(String.init) } ?? "mpi"

    /// The thread support level MPI granted.
    public enum ThreadLevel: Int32, Sendable {
        case single = 0
        case funneled = 1
        case serialized = 2
        case multiple = 3
    }

    /// Whether MPI_Init has been called (by us or anyone) in this process.
    public static var isInitialized: Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    /// Whether MPI_Finalize has been called.
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Initialises MPI with `MPI_THREAD_FUNNELED` and makes errors on the world communicator
    /// return codes (turned into ``MPIError``) instead of aborting. Safe to call twice.
    /// - Returns: the thread level MPI provides.
    @discardableResult
    public static func initialize() throws -> ThreadLevel {
        if isInitialized {
            var provided: Int32 = 0
            MPI_Query_thread(&provided)
            return ThreadLevel(rawValue: provided) ?? .single
        }
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided), "MPI_Init_thread")
        initializedByUs = true
        try check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
        return ThreadLevel(rawValue: provided) ?? .single
    }

    /// Finalises MPI if this process initialised it and it is not finalised yet.
    public static func finalize() {
        guard initializedByUs, !finalizedByUs, !isFinalized else { return }
        finalizedByUs = true
        MPI_Finalize()
    }

    /// Finalises MPI (if needed) and exits the process with `code`.
    ///
    /// Under an MPICH library with ranks on several hosts the ranks meet in an `MPI_Barrier` and
    /// exit without `MPI_Finalize`: MPICH 4.0's ch4:ucx MPI_Finalize closes every UCX endpoint,
    /// then waits for the other ranks in a blocking PMI barrier; over TCP one rank's close can
    /// wait for a peer that already sits in that barrier making no UCX progress, and the job
    /// never ends (pmodels/mpich#6596 removed that barrier later). After the barrier every
    /// rank has sent and received all it will; hydra reports the ranks' codes as usual. If the
    /// barrier itself does not complete in ``finalizeDeadlineSeconds``, the rank exits anyway.
    public static func exit(_ code: Int32) -> Never {
        if initializedByUs, !finalizedByUs, !isFinalized, libraryVersion.contains("MPICH"), spansSeveralHosts {
            armExitDeadline(
                seconds: finalizeDeadlineSeconds, code: code,
                message: "\(programName): the ranks' last MPI_Barrier did not complete in "
                    + "\(finalizeDeadlineSeconds) s; exiting with \(code)\n")
            _ = MPI_Barrier(cmpi_comm_world())
            exitProcessSkippingCleanup(code)
        }
        finalize()
        exitProcess(code)
    }

    /// How long ``exit(_:)``'s last barrier may take under MPICH before the rank exits anyway.
    public static let finalizeDeadlineSeconds: UInt32 = 10

    /// Whether the world's ranks run on more than one host: the shared-memory communicator
    /// (`MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`) is smaller than the world. Collective.
    private static var spansSeveralHosts: Bool {
        var node = cmpi_comm_null()
        guard
            MPI_Comm_split_type(cmpi_comm_world(), cmpi_comm_type_shared(), 0, cmpi_info_null(), &node)
                == cmpi_success()
        else { return false }
        var nodeSize: Int32 = 0
        var worldSize: Int32 = 0
        MPI_Comm_size(node, &nodeSize)
        MPI_Comm_size(cmpi_comm_world(), &worldSize)
        MPI_Comm_free(&node)
        return nodeSize < worldSize
    }

    /// The MPI library's own version string (e.g. "Open MPI v4.1.4, ...").
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingTrailingWhitespace()
    }

    /// The MPI standard version this library implements, as (major, minor).
    public static var standardVersion: (major: Int, minor: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// Seconds since an arbitrary point in the past (MPI_Wtime): a wall clock for timing.
    public static func wtime() -> Double { MPI_Wtime() }

    /// The name of the processor (host) this rank runs on.
    public static var processorName: String {
        var buffer = [CChar](repeating: 0, count: 256 + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace || last == "\0" { s.removeLast() }
        return String(s)
    }
}
