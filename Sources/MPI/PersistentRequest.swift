// MPI/PersistentRequest.swift — persistent point-to-point requests (MPI_Send_init /
// MPI_Recv_init, then MPI_Start … MPI_Wait as often as needed): a message pattern that repeats
// every step (a ring shift) is set up once and then started without allocating anything; also
// MPI-4's persistent all-reduce, whose count beyond `int` may make it several requests.
import CMPI

/// A persistent send or receive bound to one ``MPIBuffer``, one peer and one tag.
///
/// Made by ``Communicator/sendInit(_:to:tag:)`` or ``Communicator/recvInit(into:from:tag:)``.
/// Each ``start()`` begins one transfer of the whole buffer; ``wait()`` (or a ``test()`` that
/// returns true) completes it, after which the buffer may be read or rewritten and the request
/// started again. Starting, testing and waiting allocate nothing. The request keeps its buffer
/// and its communicator alive; when it is released it waits for a transfer still active and
/// frees the MPI request.
public final class PersistentRequest {
    private var handle: RequestSlot
    /// The other pieces' requests of a collective split into `int`-sized pieces (else empty),
    /// started, tested and waited with the first.
    private var more: [RequestSlot] = []
    private let buffer: AnyObject
    /// The communicator's handle owner: a derived communicator outlives its requests.
    private let communicator: CommunicatorHandle
    private let function: StaticString
    /// Whether a started transfer has not completed yet.
    public private(set) var isActive = false

    init(handle: RequestSlot, buffer: AnyObject, communicator: CommunicatorHandle, function: StaticString) {
        self.handle = handle
        self.buffer = buffer
        self.communicator = communicator
        self.function = function
    }

    /// Several requests (`handles`, at least one) started and completed as one.
    init(handles: [RequestSlot], buffer: AnyObject, communicator: CommunicatorHandle, function: StaticString) {
        self.handle = handles[0]
        self.more = Array(handles.dropFirst())
        self.buffer = buffer
        self.communicator = communicator
        self.function = function
    }

    /// Starts one transfer (MPI_Start). Starting an active request is an error.
    public func start() throws {
        guard !isActive else {
            throw MPIError.invalidArgument(
                "\(function): start() on a request whose transfer has not completed; wait() first.")
        }
        try check(MPI_Start(&handle), "MPI_Start(\(function))")
        isActive = true
        for i in more.indices { try check(MPI_Start(&more[i]), "MPI_Start(\(function))") }
    }

    /// Blocks until the started transfer has completed; returns at once if none is active.
    public func wait() throws {
        guard isActive else { return }
        try check(MPI_Wait(&handle, cmpi_status_ignore()), "MPI_Wait(\(function))")
        for i in more.indices { try check(MPI_Wait(&more[i], cmpi_status_ignore()), "MPI_Wait(\(function))") }
        isActive = false
    }

    /// Whether the started transfer has completed (true if none is active), without blocking.
    /// Each call also lets MPI progress its transfers.
    @discardableResult
    public func test() throws -> Bool {
        guard isActive else { return true }
        var flag: Int32 = 0
        try check(MPI_Test(&handle, &flag, cmpi_status_ignore()), "MPI_Test(\(function))")
        var all = flag != 0
        for i in more.indices {
            try check(MPI_Test(&more[i], &flag, cmpi_status_ignore()), "MPI_Test(\(function))")
            all = all && flag != 0
        }
        if all { isActive = false }
        return !isActive
    }

    deinit {
        guard MPIEnvironment.isInitialized, !MPIEnvironment.isFinalized else { return }
        if isActive {
            _ = MPI_Wait(&handle, cmpi_status_ignore())
            for i in more.indices { _ = MPI_Wait(&more[i], cmpi_status_ignore()) }
        }
        if handle != cmpi_request_null() { _ = MPI_Request_free(&handle) }
        for i in more.indices where more[i] != cmpi_request_null() { _ = MPI_Request_free(&more[i]) }
        _ = buffer
    }
}

extension Communicator {
    /// A persistent send of the whole of `buffer` to `destination` (MPI_Send_init). Do not
    /// modify the buffer while a started transfer is active.
    public func sendInit<T: MPIScalar>(_ buffer: MPIBuffer<T>, to destination: Int, tag: Int = 0) throws
        -> PersistentRequest
    {
        try checkPeer(destination, "sendInit")
        var req: RequestSlot = cmpi_request_null()
        try check(
            MPI_Send_init(
                buffer.storage.baseAddress, try mpiCount(buffer.count, "sendInit"), T.mpiKind.datatype,
                Int32(destination), Int32(tag), handle, &req), "MPI_Send_init")
        return PersistentRequest(handle: req, buffer: buffer, communicator: owner, function: "sendInit")
    }

    /// A persistent receive of `buffer.count` elements from `source` into `buffer`
    /// (MPI_Recv_init). Read the buffer only after the started transfer has completed.
    public func recvInit<T: MPIScalar>(into buffer: MPIBuffer<T>, from source: Int, tag: Int = 0) throws
        -> PersistentRequest
    {
        try checkPeer(source, "recvInit")
        var req: RequestSlot = cmpi_request_null()
        try check(
            MPI_Recv_init(
                buffer.storage.baseAddress, try mpiCount(buffer.count, "recvInit"), T.mpiKind.datatype,
                Int32(source), Int32(tag), handle, &req), "MPI_Recv_init")
        return PersistentRequest(handle: req, buffer: buffer, communicator: owner, function: "recvInit")
    }
}
