// MPI/Buffer.swift — a heap buffer with a stable address, for nonblocking operations.
// A Swift Array may move its storage; a message in flight needs memory that stays put
// until the Request completes, so nonblocking calls take an MPIBuffer, which the Request
// keeps alive.

/// A fixed-size, reference-typed buffer of `T` whose storage never moves.
///
/// Nonblocking operations (``Communicator/iallreduce(_:op:)``, ``Communicator/isend(_:to:tag:)``,
/// ``Communicator/irecv(into:from:tag:)``) take one; the returned ``Request`` holds it until
/// the operation completes, so the memory can never be freed while MPI still uses it.
public final class MPIBuffer<T: MPIScalar>: RandomAccessCollection, MutableCollection, @unchecked Sendable {
    let storage: UnsafeMutableBufferPointer<T>

    /// A buffer of `count` copies of `value`.
    public init(repeating value: T, count: Int) {
        storage = .allocate(capacity: Swift.max(count, 0))
        storage.initialize(repeating: value)
    }

    /// A buffer holding a copy of `elements`.
    public init<C: Collection>(_ elements: C) where C.Element == T {
        storage = .allocate(capacity: elements.count)
        _ = storage.initialize(from: elements)
    }

    deinit { storage.deallocate() }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    public subscript(position: Int) -> T {
        get { storage[position] }
        set { storage[position] = newValue }
    }

    /// The contents as an array (a copy).
    public var array: [T] { Array(storage) }

    /// Copies `elements` into the buffer starting at `offset`.
    public func assign<C: Collection>(_ elements: C, at offset: Int = 0) where C.Element == T {
        precondition(offset >= 0 && offset + elements.count <= storage.count, "MPIBuffer.assign out of range")
        var i = offset
        for e in elements {
            storage[i] = e
            i += 1
        }
    }

    /// Runs `body` with read access to the contiguous storage.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage))
    }

    /// Runs `body` with write access to the contiguous storage.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        try body(storage)
    }
}
