// Linalg/BLAS.swift — matrix products and level-1 updates through cblas: gemm with every
// transpose combination, into a preallocated output (no allocation in hot loops), axpy, scale.

/// C ← α·op(A)·op(B) + β·C. Shapes are checked; `c` must already have the result's shape.
@inlinable
public func gemm<T: BLASScalar>(
    _ a: Matrix<T>, _ transA: Transpose = .none, _ b: Matrix<T>, _ transB: Transpose = .none,
    alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
) {
    let m = transA == .none ? a.rows : a.cols
    let k = transA == .none ? a.cols : a.rows
    let kb = transB == .none ? b.rows : b.cols
    let n = transB == .none ? b.cols : b.rows
    precondition(k == kb, "gemm: inner dimensions \(k) and \(kb) differ")
    precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)×\(c.cols), product is \(m)×\(n)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { for i in c.storage.indices { c.storage[i] = 0 } } else { scale(&c, by: beta) }
        return
    }
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                T.gemm(
                    transA, transB, m: m, n: n, k: k, alpha: alpha,
                    a: pa.baseAddress!, lda: max(a.cols, 1), b: pb.baseAddress!, ldb: max(b.cols, 1),
                    beta: beta, c: pc.baseAddress!, ldc: max(n, 1))
            }
        }
    }
}

/// op(A)·op(B) as a new matrix.
@inlinable
public func matmul<T: BLASScalar>(
    _ a: Matrix<T>, _ transA: Transpose = .none, _ b: Matrix<T>, _ transB: Transpose = .none,
    alpha: T = 1
) -> Matrix<T> {
    var c = Matrix<T>(rows: transA == .none ? a.rows : a.cols, cols: transB == .none ? b.cols : b.rows)
    gemm(a, transA, b, transB, alpha: alpha, beta: 0, into: &c)
    return c
}

/// A·B as a new matrix (``matmul(_:_:_:_:alpha:)`` without transposes). Without this overload
/// `matmul(a, b)` does not compile: `b` would be taken for the defaulted `transA` argument.
@inlinable
public func matmul<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>, alpha: T = 1) -> Matrix<T> {
    matmul(a, .none, b, .none, alpha: alpha)
}

/// C ← α·A·B + β·C (``gemm(_:_:_:_:alpha:beta:into:)`` without transposes).
@inlinable
public func gemm<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>, alpha: T = 1, beta: T = 0, into c: inout Matrix<T>) {
    gemm(a, .none, b, .none, alpha: alpha, beta: beta, into: &c)
}

/// y ← α·x + y (same shapes).
@inlinable
public func axpy<T: BLASScalar>(_ alpha: T, _ x: Matrix<T>, _ y: inout Matrix<T>) {
    precondition(
        x.rows == y.rows && x.cols == y.cols, "axpy: shapes \(x.rows)×\(x.cols) and \(y.rows)×\(y.cols) differ")
    axpy(alpha, x.storage, &y.storage)
}

/// y ← α·x + y on flat arrays.
@inlinable
public func axpy<T: BLASScalar>(_ alpha: T, _ x: [T], _ y: inout [T]) {
    precondition(x.count == y.count, "axpy: lengths \(x.count) and \(y.count) differ")
    guard !x.isEmpty else { return }
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            T.axpy(n: px.count, alpha: alpha, x: px.baseAddress!, y: py.baseAddress!)
        }
    }
}

/// x ← α·x.
@inlinable
public func scale<T: BLASScalar>(_ x: inout Matrix<T>, by alpha: T) { scale(&x.storage, by: alpha) }

/// x ← α·x on a flat array.
@inlinable
public func scale<T: BLASScalar>(_ x: inout [T], by alpha: T) {
    guard !x.isEmpty else { return }
    x.withUnsafeMutableBufferPointer { p in T.scal(n: p.count, alpha: alpha, x: p.baseAddress!) }
}

/// xᵀy of two flat arrays.
@inlinable
public func dot<T: BLASScalar>(_ x: [T], _ y: [T]) -> T {
    precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count) differ")
    guard !x.isEmpty else { return 0 }
    return x.withUnsafeBufferPointer { px in
        y.withUnsafeBufferPointer { py in T.dot(n: px.count, x: px.baseAddress!, y: py.baseAddress!) }
    }
}

extension Matrix {
    /// Element-wise sum.
    @inlinable public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        var r = lhs
        r += rhs
        return r
    }
    /// Element-wise difference.
    @inlinable public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        var r = lhs
        axpy(-1, rhs, &r)
        return r
    }
    /// Element-wise in-place sum.
    @inlinable public static func += (lhs: inout Matrix, rhs: Matrix) { axpy(1, rhs, &lhs) }
    /// Element-wise in-place difference.
    @inlinable public static func -= (lhs: inout Matrix, rhs: Matrix) { axpy(-1, rhs, &lhs) }
    /// Scalar multiple.
    @inlinable public static func * (lhs: Scalar, rhs: Matrix) -> Matrix {
        var r = rhs
        scale(&r, by: lhs)
        return r
    }

    /// Element-wise (Hadamard) product, in place.
    @inlinable
    public mutating func multiplyElementwise(by other: Matrix) {
        precondition(rows == other.rows && cols == other.cols, "multiplyElementwise: shapes differ")
        storage.withUnsafeMutableBufferPointer { p in
            other.storage.withUnsafeBufferPointer { q in for i in 0..<p.count { p[i] *= q[i] } }
        }
    }

    /// Applies `f` to every element, in place.
    @inlinable
    public mutating func apply(_ f: (Scalar) -> Scalar) {
        storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = f(p[i]) } }
    }
}
