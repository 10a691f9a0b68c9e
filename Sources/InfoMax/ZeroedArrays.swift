// InfoMax/ZeroedArrays.swift — the module's helpers that size and clear scratch arrays in place,
// reusing their storage, so that the losses and encoders allocate nothing once sized.

/// Makes `x` hold `count` zeros, reusing its storage when the capacity suffices.
func resizeZeroed<T: Numeric>(_ x: inout [T], _ count: Int) {
    if x.count == count {
        fillZero(&x)
    } else {
        x.removeAll(keepingCapacity: true)
        x.append(contentsOf: repeatElement(0, count: count))
    }
}

/// Makes `x` hold at least `count` elements (zeros when it grows; kept otherwise).
func growZeroed<T: Numeric>(_ x: inout [T], _ count: Int) {
    if x.count < count { resizeZeroed(&x, count) }
}

/// Sets every element of `x` to zero (in place).
func fillZero<T: Numeric>(_ x: inout [T]) {
    x.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
}
