// Linalg/Reductions.swift — row / column reductions, norms, and the numerically stable
// row-wise log-sum-exp and softmax that the InfoNCE loss is built on.
import RealModule

extension Matrix {
    /// Σ of all elements.
    @inlinable public var sum: Scalar { storage.reduce(0, +) }

    /// Frobenius norm ‖A‖_F.
    @inlinable public var frobeniusNorm: Scalar { dot(storage, storage).squareRoot() }

    /// Largest absolute element (0 for an empty matrix).
    @inlinable public var maxAbs: Scalar { storage.reduce(0) { Swift.max($0, Swift.abs($1)) } }

    /// Σ_j A[i, j] for each row i.
    @inlinable
    public func rowSums() -> [Scalar] {
        var out = [Scalar](repeating: 0, count: rows)
        storage.withUnsafeBufferPointer { p in
            for i in 0..<rows {
                var s: Scalar = 0
                for j in 0..<cols { s += p[i * cols + j] }
                out[i] = s
            }
        }
        return out
    }

    /// Σ_i A[i, j] for each column j.
    @inlinable
    public func columnSums() -> [Scalar] {
        var out = [Scalar](repeating: 0, count: cols)
        storage.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows { for j in 0..<cols { o[j] += p[i * cols + j] } }
            }
        }
        return out
    }

    /// max_j A[i, j] for each row i (−∞ for an empty row).
    @inlinable
    public func rowMax() -> [Scalar] {
        var out = [Scalar](repeating: -.infinity, count: rows)
        storage.withUnsafeBufferPointer { p in
            for i in 0..<rows {
                var m = -Scalar.infinity
                for j in 0..<cols { m = Swift.max(m, p[i * cols + j]) }
                out[i] = m
            }
        }
        return out
    }

    /// max_i A[i, j] for each column j (−∞ for an empty column).
    @inlinable
    public func columnMax() -> [Scalar] {
        var out = [Scalar](repeating: -.infinity, count: cols)
        storage.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows { for j in 0..<cols { o[j] = Swift.max(o[j], p[i * cols + j]) } }
            }
        }
        return out
    }

    /// log Σ_j exp(A[i, j]) for each row, computed as m + log Σ exp(A − m) (no overflow).
    @inlinable
    public func rowLogSumExp() -> [Scalar] {
        var out = [Scalar](repeating: 0, count: rows)
        storage.withUnsafeBufferPointer { p in
            for i in 0..<rows {
                var m = -Scalar.infinity
                for j in 0..<cols { m = Swift.max(m, p[i * cols + j]) }
                if m == -.infinity {
                    out[i] = -.infinity
                    continue
                }
                var s: Scalar = 0
                for j in 0..<cols { s += Scalar.exp(p[i * cols + j] - m) }
                out[i] = m + Scalar.log(s)
            }
        }
        return out
    }

    /// log Σ_i exp(A[i, j]) for each column (stable).
    @inlinable
    public func columnLogSumExp() -> [Scalar] {
        let m = columnMax()
        var s = [Scalar](repeating: 0, count: cols)
        storage.withUnsafeBufferPointer { p in
            s.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows {
                    for j in 0..<cols where m[j] > -.infinity { o[j] += Scalar.exp(p[i * cols + j] - m[j]) }
                }
            }
        }
        return (0..<cols).map { m[$0] == -.infinity ? -.infinity : m[$0] + Scalar.log(s[$0]) }
    }

    /// Replaces each row by its softmax, exp(a − max) / Σ exp(a − max) (stable).
    @inlinable
    public mutating func softmaxRows() {
        let r = rows
        let c = cols
        guard c > 0 else { return }
        storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<r {
                var m = -Scalar.infinity
                for j in 0..<c { m = Swift.max(m, p[i * c + j]) }
                // The losses' vectorised row exponentials (RowExp), stored in place.
                let s = Scalar.expShifted(p.baseAddress! + i * c, count: c, shift: m, scale: 1, store: true)
                let inv = 1 / s
                for j in 0..<c { p[i * c + j] *= inv }
            }
        }
    }

    /// The row-wise softmax as a new matrix.
    @inlinable
    public func softmaxedRows() -> Matrix {
        var r = self
        r.softmaxRows()
        return r
    }

    /// Euclidean norm of each row.
    @inlinable
    public func rowNorms() -> [Scalar] {
        (0..<rows).map { i in
            storage.withUnsafeBufferPointer { p in
                var s: Scalar = 0
                for j in 0..<cols { s += p[i * cols + j] * p[i * cols + j] }
                return s.squareRoot()
            }
        }
    }
}
