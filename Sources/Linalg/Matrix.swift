// Linalg/Matrix.swift — a dense row-major matrix with value semantics; storage is a Swift
// array, so copies are cheap until written (copy-on-write).

/// A dense, row-major `rows × cols` matrix of `Scalar`.
public struct Matrix<Scalar: BLASScalar>: Equatable, Sendable, Codable {
    /// Number of rows.
    public private(set) var rows: Int
    /// Number of columns.
    public private(set) var cols: Int
    /// The elements, row after row: element (i, j) is `storage[i * cols + j]`.
    public var storage: [Scalar]

    /// A `rows × cols` matrix filled with `value` (zero by default).
    public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [Scalar](repeating: value, count: rows * cols)
    }

    /// A `rows × cols` matrix over `storage` (row-major). Throws if the count does not match.
    public init(rows: Int, cols: Int, storage: [Scalar]) throws {
        guard rows >= 0, cols >= 0, storage.count == rows * cols else {
            throw LinalgError.shapeMismatch("Matrix(rows: \(rows), cols: \(cols)) needs \(rows * cols) elements, got \(storage.count)")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows (all rows must have the same length).
    public init(_ nested: [[Scalar]]) throws {
        let c = nested.first?.count ?? 0
        guard nested.allSatisfy({ $0.count == c }) else {
            throw LinalgError.shapeMismatch("Matrix rows have different lengths")
        }
        try self.init(rows: nested.count, cols: c, storage: nested.flatMap { $0 })
    }

    /// A matrix whose element (i, j) is `f(i, j)`.
    @inlinable
    public init(rows: Int, cols: Int, _ f: (Int, Int) -> Scalar) {
        self.init(rows: rows, cols: cols)
        for i in 0..<rows { for j in 0..<cols { storage[i * cols + j] = f(i, j) } }
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> Matrix { Matrix(rows: n, cols: n) { $0 == $1 ? 1 : 0 } }

    /// Element (i, j).
    @inlinable
    public subscript(i: Int, j: Int) -> Scalar {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Row `i` as an array (a copy).
    public func row(_ i: Int) -> [Scalar] { Array(storage[(i * cols)..<((i + 1) * cols)]) }

    /// Column `j` as an array (a copy).
    public func column(_ j: Int) -> [Scalar] { (0..<rows).map { storage[$0 * cols + j] } }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        // swiftlint:disable:next force_try
        try! Matrix(rows: range.count, cols: cols, storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// The shape as (rows, cols).
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// The transpose (a copy).
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] } }
        return t
    }

    /// Changes the shape, keeping the storage if the element count is unchanged, otherwise
    /// reallocating and zero-filling (reuses capacity: no allocation when it shrinks or repeats).
    public mutating func reshape(rows: Int, cols: Int) {
        if rows * cols != storage.count {
            storage.removeAll(keepingCapacity: true)
            storage.append(contentsOf: repeatElement(0, count: rows * cols))
        }
        self.rows = rows
        self.cols = cols
    }

    /// The same matrix converted to another precision.
    public func converted<T: BLASScalar>(to: T.Type = T.self) -> Matrix<T> {
        // swiftlint:disable:next force_try
        try! Matrix<T>(rows: rows, cols: cols, storage: storage.map { T($0) })
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        var lines = ["Matrix \(rows)×\(cols)"]
        for i in 0..<Swift.min(rows, 8) {
            lines.append((0..<Swift.min(cols, 8)).map { "\(self[i, $0])" }.joined(separator: "  ") + (cols > 8 ? "  …" : ""))
        }
        if rows > 8 { lines.append("…") }
        return lines.joined(separator: "\n")
    }
}
