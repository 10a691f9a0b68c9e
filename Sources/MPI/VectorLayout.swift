// MPI/VectorLayout.swift — per-rank counts and displacements of the "v" collectives in MPI's
// int form, kept between calls so a repeated collective allocates nothing.

/// Per-rank element counts and displacements for the "v" collectives (allgatherv,
/// reduce-scatter with uneven blocks), in MPI's `int` form, kept between calls.
///
/// ``set(counts:scale:)`` rewrites it in place; once it has held as many ranks it allocates
/// nothing.
public struct VectorLayout: Sendable, Equatable {
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
    public var rankCount: Int { counts32.count }

    /// The element count of rank `r`.
    public func count(_ r: Int) -> Int { Int(counts32[r]) }

    /// The offset of rank `r`'s block in the concatenation.
    public func displacement(_ r: Int) -> Int { Int(displacements32[r]) }

    /// Rank r gets `counts[r] * scale` elements, the blocks laid out in rank order.
    /// Throws (leaving the layout empty) for a negative count or a total beyond MPI's `int`.
    public mutating func set(counts: [Int], scale: Int = 1) throws {
        counts32.removeAll(keepingCapacity: true)
        displacements32.removeAll(keepingCapacity: true)
        total = 0
        var offset = 0
        // Index loops, not `for c in counts`: unoptimised builds iterate an array through a
        // generic iterator that allocates.
        for r in 0..<counts.count {
            let n = counts[r] * scale
            guard n >= 0 else {
                counts32.removeAll(keepingCapacity: true)
                displacements32.removeAll(keepingCapacity: true)
                throw MPIError.invalidArgument("VectorLayout: negative count \(n).")
            }
            do {
                counts32.append(try mpiCount(n, "VectorLayout"))
                displacements32.append(try mpiCount(offset, "VectorLayout"))
            } catch {
                counts32.removeAll(keepingCapacity: true)
                displacements32.removeAll(keepingCapacity: true)
                throw error
            }
            offset += n
        }
        total = offset
    }
}
