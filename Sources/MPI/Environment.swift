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
    public static func exit(_ code: Int32) -> Never {
        finalize()
        exitProcess(code)
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
