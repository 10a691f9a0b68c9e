// MPI/VectorLayout.swift — per-rank counts and displacements of the "v" collectives, kept
// between calls so a repeated collective allocates nothing: MPI's large-count form always, its
// int form while the total fits.

/// Per-rank element counts and displacements for the "v" collectives (allgatherv,
/// reduce-scatter with uneven blocks), kept between calls: in MPI's large-count form always, in
/// its `int` form too while the total fits an `int` (the form the ordinary calls take).
///
/// ``set(counts:scale:)`` rewrites it in place; once it has held as many ranks it allocates
/// nothing.
public struct VectorLayout: Sendable, Equatable {
    var counts64: [Int64] = []
    var displacements64: [Int64] = []
    /// The same in `int`, empty when the total does not fit.
    var counts32: [Int32] = []
    var displacements32: [Int32] = []
    /// The sum of the counts.
    public private(set) var total = 0

    /// An empty layout (set it before use).
    public init() {}

    /// A layout of `counts[r] * scale` elements for rank r.
    public init(counts: [Int], scale: Int = 1) throws {
        try set(counts: counts, scale: scale)
    }

    /// The number of ranks described.
    public var rankCount: Int { counts64.count }

    /// The element count of rank `r`.
    public func count(_ r: Int) -> Int { Int(counts64[r]) }

    /// The offset of rank `r`'s block in the concatenation.
    public func displacement(_ r: Int) -> Int { Int(displacements64[r]) }

    /// Rank r gets `counts[r] * scale` elements, the blocks laid out in rank order.
    /// Throws (leaving the layout empty) for a negative count or one that overflows.
    public mutating func set(counts: [Int], scale: Int = 1) throws {
        counts64.removeAll(keepingCapacity: true)
        displacements64.removeAll(keepingCapacity: true)
        counts32.removeAll(keepingCapacity: true)
        displacements32.removeAll(keepingCapacity: true)
        total = 0
        var offset = 0
        // Index loops, not `for c in counts`: unoptimised builds iterate an array through a
        // generic iterator that allocates.
        for r in 0..<counts.count {
            let (n, overflow) = counts[r].multipliedReportingOverflow(by: scale)
            guard n >= 0, !overflow, offset <= Int.max - n else {
                counts64.removeAll(keepingCapacity: true)
                displacements64.removeAll(keepingCapacity: true)
                throw MPIError.invalidArgument("VectorLayout: count \(counts[r]) × \(scale) is negative or too large.")
            }
            counts64.append(Int64(n))
            displacements64.append(Int64(offset))
            offset += n
        }
        total = offset
        if total <= Int(Int32.max) {
            for r in 0..<counts64.count {
                counts32.append(Int32(counts64[r]))
                displacements32.append(Int32(displacements64[r]))
            }
        }
    }
}
