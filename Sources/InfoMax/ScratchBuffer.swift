// InfoMax/ScratchBuffer.swift — scalars owned by a loss workspace, allocated once and regrown
// only when a call needs more, handed to the kernels as a raw pointer; and the helpers that size
// and clear scratch arrays in place, so that the losses and encoders allocate nothing once sized.

/// A raw buffer of `count` scalars (at least one allocated, so its pointer is never nil).
final class ScratchBuffer<T: Numeric> {
    private(set) var pointer: UnsafeMutablePointer<T>
    private(set) var count = 0
    private var capacity = 1

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: 0)
    }

    deinit { pointer.deallocate() }

    /// Makes the buffer hold `n` zeros (regrown only when the capacity is short).
    @discardableResult
    func zeroed(_ n: Int) -> UnsafeMutablePointer<T> {
        reserve(n)
        count = n
        pointer.update(repeating: 0, count: n)
        return pointer
    }

    /// Makes the buffer hold at least `n` scalars (zeros when it grows; its values kept otherwise).
    @discardableResult
    func atLeast(_ n: Int) -> UnsafeMutablePointer<T> {
        if count < n { zeroed(n) }
        return pointer
    }

    subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        pointer.deallocate()
        pointer = .allocate(capacity: n)
        pointer.initialize(repeating: 0, count: n)
        capacity = n
    }
}

/// Makes `x` hold `count` zeros, reusing its storage when the capacity suffices.
func resizeZeroed<T: Numeric>(_ x: inout [T], _ count: Int) {
    if x.count == count {
        fillZero(&x)
    } else {
        x.removeAll(keepingCapacity: true)
        x.append(contentsOf: repeatElement(0, count: count))
    }
}

func fillZero<T: Numeric>(_ x: inout [T]) {
    x.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
}
