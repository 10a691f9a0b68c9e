// MPI/Request.swift — a nonblocking operation in flight (isend, irecv, iallreduce,
// iallgather): waited on or tested, it keeps its buffers and communicator alive until done. A
// collective split into `int`-sized pieces (LargeCounts.swift) is one Request over its pieces.
import CMPI

/// A nonblocking operation in flight. Call ``wait()`` (or ``Request/waitAll(_:)``) before
/// reading or reusing its buffer. The request keeps its buffers and its communicator alive
/// until it completes; if it is dropped unfinished it waits in `deinit`, so memory is never
/// freed under MPI.
public final class Request {
    private var handle: RequestSlot
    /// The other pieces' requests of a chunked collective (empty otherwise).
    private var more: [RequestSlot] = []
    private var retained: [AnyObject]
    private let function: String
    /// Whether the operation has completed (after a successful ``wait()`` or ``test()``).
    public private(set) var isComplete = false

    init(handle: RequestSlot, retaining objects: [AnyObject], function: String) {
        self.handle = handle
        self.retained = objects
        self.function = function
    }

    /// One operation made of several requests (`handles`, at least one), complete when all are.
    init(handles: [RequestSlot], retaining objects: [AnyObject], function: String) {
        self.handle = handles[0]
        self.more = Array(handles.dropFirst())
        self.retained = objects
        self.function = function
    }

    /// Blocks until the operation has completed. Waiting twice is harmless.
    public func wait() throws {
        guard !isComplete else { return }
        try check(MPI_Wait(&handle, cmpi_status_ignore()), "MPI_Wait(\(function))")
        for i in more.indices { try check(MPI_Wait(&more[i], cmpi_status_ignore()), "MPI_Wait(\(function))") }
        finish()
    }

    /// Returns whether the operation has completed, without blocking (it progresses MPI).
    public func test() throws -> Bool {
        guard !isComplete else { return true }
        var flag: Int32 = 0
        try check(MPI_Test(&handle, &flag, cmpi_status_ignore()), "MPI_Test(\(function))")
        var all = flag != 0
        for i in more.indices {
            try check(MPI_Test(&more[i], &flag, cmpi_status_ignore()), "MPI_Test(\(function))")
            all = all && flag != 0
        }
        if all { finish() }
        return isComplete
    }

    /// Waits for every request in `requests`.
    public static func waitAll(_ requests: [Request]) throws {
        for r in requests { try r.wait() }
    }

    private func finish() {
        isComplete = true
        retained.removeAll()
    }

    deinit {
        if !isComplete, MPIEnvironment.isInitialized, !MPIEnvironment.isFinalized {
            _ = MPI_Wait(&handle, cmpi_status_ignore())
            for i in more.indices { _ = MPI_Wait(&more[i], cmpi_status_ignore()) }
        }
    }
}
