// MPI/PointToPoint.swift — blocking send / recv / sendrecv over arrays, and the nonblocking
// isend / irecv / iallreduce over MPIBuffer, each returning a Request that must be waited on.
import CMPI

extension Communicator {
    func checkPeer(_ peer: Int, _ function: String) throws {
        guard (0..<size).contains(peer) else {
            throw MPIError.invalidArgument("\(function): rank \(peer) is not in this communicator (size \(size)).")
        }
    }

    /// Throws if a blocking receive got fewer elements than asked for (the rest of the
    /// result would be uninitialised memory). A longer message already fails in MPI (truncate).
    func checkReceived<T: MPIScalar>(_ status: inout MPI_Status, _: T.Type, expected: Int, _ function: String) throws {
        var received: Int32 = 0
        try check(MPI_Get_count(&status, T.mpiKind.datatype, &received), "MPI_Get_count")
        guard Int(received) == expected else {
            throw MPIError.sizeMismatch(function: function, expected: expected, actual: Int(received))
        }
    }

    /// Sends `values` to rank `destination` (blocking).
    public func send<T: MPIScalar>(_ values: [T], to destination: Int, tag: Int = 0) throws {
        try checkPeer(destination, "send")
        let n = try mpiCount(values.count, "send")
        try values.withUnsafeBufferPointer { buf in
            try check(
                MPI_Send(buf.baseAddress, n, T.mpiKind.datatype, Int32(destination), Int32(tag), handle), "MPI_Send")
        }
    }

    /// Receives exactly `count` elements from rank `source` (blocking). A shorter message
    /// throws ``MPIError/sizeMismatch(function:expected:actual:)``; a longer one MPI's truncate error.
    public func recv<T: MPIScalar>(count: Int, from source: Int, tag: Int = 0, as: T.Type = T.self) throws -> [T] {
        try checkPeer(source, "recv")
        let n = try mpiCount(count, "recv")
        var result = [T](unsafeUninitializedCapacity: count) { _, c in c = count }
        var status = MPI_Status()
        try result.withUnsafeMutableBufferPointer { buf in
            try check(
                MPI_Recv(buf.baseAddress, n, T.mpiKind.datatype, Int32(source), Int32(tag), handle, &status), "MPI_Recv"
            )
        }
        try checkReceived(&status, T.self, expected: count, "recv")
        return result
    }

    /// Sends `values` to `destination` while receiving `receiveCount` elements from `source`
    /// (MPI_Sendrecv: no deadlock in a ring shift).
    public func sendrecv<T: MPIScalar>(
        _ values: [T], to destination: Int, receiveCount: Int, from source: Int, tag: Int = 0
    ) throws -> [T] {
        try checkPeer(destination, "sendrecv")
        try checkPeer(source, "sendrecv")
        let ns = try mpiCount(values.count, "sendrecv")
        let nr = try mpiCount(receiveCount, "sendrecv")
        var result = [T](unsafeUninitializedCapacity: receiveCount) { _, c in c = receiveCount }
        var status = MPI_Status()
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                try check(
                    MPI_Sendrecv(
                        src.baseAddress, ns, T.mpiKind.datatype, Int32(destination), Int32(tag),
                        dst.baseAddress, nr, T.mpiKind.datatype, Int32(source), Int32(tag),
                        handle, &status), "MPI_Sendrecv")
            }
        }
        try checkReceived(&status, T.self, expected: receiveCount, "sendrecv")
        return result
    }

    /// Starts sending `buffer` to `destination`; do not modify the buffer before the request completes.
    public func isend<T: MPIScalar>(_ buffer: MPIBuffer<T>, to destination: Int, tag: Int = 0) throws -> Request {
        try checkPeer(destination, "isend")
        var req: RequestSlot = cmpi_request_null()
        try check(
            MPI_Isend(
                buffer.storage.baseAddress, try mpiCount(buffer.count, "isend"), T.mpiKind.datatype,
                Int32(destination), Int32(tag), handle, &req), "MPI_Isend")
        return Request(handle: req, retaining: [buffer, owner], function: "isend")
    }

    /// Starts receiving `buffer.count` elements from `source` into `buffer`.
    public func irecv<T: MPIScalar>(into buffer: MPIBuffer<T>, from source: Int, tag: Int = 0) throws -> Request {
        try checkPeer(source, "irecv")
        var req: RequestSlot = cmpi_request_null()
        try check(
            MPI_Irecv(
                buffer.storage.baseAddress, try mpiCount(buffer.count, "irecv"), T.mpiKind.datatype,
                Int32(source), Int32(tag), handle, &req), "MPI_Irecv")
        return Request(handle: req, retaining: [buffer, owner], function: "irecv")
    }

    /// Starts an in-place all-reduce of `buffer`; read it only after the request completes.
    public func iallreduce<T: MPIScalar>(_ buffer: MPIBuffer<T>, op: ReductionOp) throws -> Request {
        try iallreduce(inPlace: buffer, range: 0..<buffer.count, op: op)
    }

    /// Starts an all-gather of `send` (same count on every rank) into `receive`
    /// (`size` times as long).
    public func iallgather<T: MPIScalar>(_ send: MPIBuffer<T>, into receive: MPIBuffer<T>) throws -> Request {
        guard receive.count == send.count * size else {
            throw MPIError.sizeMismatch(function: "iallgather", expected: send.count * size, actual: receive.count)
        }
        var req: RequestSlot = cmpi_request_null()
        let n = try mpiCount(send.count, "iallgather")
        try check(
            MPI_Iallgather(
                send.storage.baseAddress, n, T.mpiKind.datatype,
                receive.storage.baseAddress, n, T.mpiKind.datatype, handle, &req), "MPI_Iallgather")
        return Request(handle: req, retaining: [send, receive, owner], function: "iallgather")
    }
}
