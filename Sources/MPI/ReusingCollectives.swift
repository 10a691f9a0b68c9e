// MPI/ReusingCollectives.swift — collectives that write into the caller's arrays and take
// their per-rank counts from a reusable VectorLayout, so that a call repeated every training
// step with the same sizes allocates nothing (the returning forms in Collectives.swift
// allocate their result and their count arrays on every call).
import CMPI

extension Communicator {
    /// Resizes `array` to `count` elements for a collective to overwrite: no allocation when
    /// the count is unchanged or shrinks; a new, uninitialised array when it grows.
    @inline(__always)
    func resizeForReuse<T: MPIScalar>(_ array: inout [T], _ count: Int) {
        if count < array.count {
            array.removeLast(array.count - count)
        } else if count > array.count {
            // Uninitialised is fine for a BitwiseCopyable scalar: every element is overwritten.
            array = [T](unsafeUninitializedCapacity: count) { _, n in n = count }
        }
    }

    /// ``allgather(_:)-([T])`` into `result`, which is resized to `values.count * size` elements
    /// (no allocation when it already has that count). Every rank must pass the same count.
    public func allgather<T: MPIScalar>(_ values: [T], into result: inout [T]) throws {
        let count = values.count
        resizeForReuse(&result, count * size)
        guard count > 0 else { return }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(count * size) else {
                    return try largeAllgatherv(
                        src.baseAddress, into: dst.baseAddress!,
                        counts: [Int64](repeating: Int64(count), count: size),
                        displacements: (0..<size).map { Int64($0 * count) })
                }
                let n = Int32(count)
                try check(
                    MPI_Allgather(
                        src.baseAddress, n, T.mpiKind.datatype,
                        dst.baseAddress, n, T.mpiKind.datatype, handle), "MPI_Allgather")
            }
        }
    }

    /// ``allgatherv(_:counts:)`` into `result` with the counts of `layout` (rank r sends
    /// `layout.count(r)` elements). `result` is resized to `layout.total` elements (no
    /// allocation when it already has that count).
    public func allgatherv<T: MPIScalar>(_ values: [T], into result: inout [T], layout: VectorLayout) throws {
        guard layout.rankCount == size else {
            throw MPIError.sizeMismatch(function: "allgatherv(layout:)", expected: size, actual: layout.rankCount)
        }
        guard layout.count(rank) == values.count else {
            throw MPIError.sizeMismatch(function: "allgatherv", expected: layout.count(rank), actual: values.count)
        }
        let n = values.count
        resizeForReuse(&result, layout.total)
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(layout.total) else {
                    return try largeAllgatherv(
                        src.baseAddress, into: dst.baseAddress!, counts: layout.counts64,
                        displacements: layout.displacements64)
                }
                try layout.counts32.withUnsafeBufferPointer { c32 in
                    try layout.displacements32.withUnsafeBufferPointer { d32 in
                        try check(
                            MPI_Allgatherv(
                                src.baseAddress, Int32(n), T.mpiKind.datatype,
                                dst.baseAddress, c32.baseAddress, d32.baseAddress, T.mpiKind.datatype, handle),
                            "MPI_Allgatherv")
                    }
                }
            }
        }
    }

    /// ``reduceScatter(_:counts:op:)`` into `output` with the counts of `layout`: `input` holds
    /// `layout.total` elements; `output` is resized to `layout.count(rank)` (no allocation when
    /// it already has that count) and receives this rank's block of the reduction.
    public func reduceScatter<T: MPIScalar>(_ input: [T], into output: inout [T], layout: VectorLayout, op: ReductionOp)
        throws
    {
        guard layout.rankCount == size else {
            throw MPIError.sizeMismatch(function: "reduceScatter(layout:)", expected: size, actual: layout.rankCount)
        }
        guard input.count == layout.total else {
            throw MPIError.sizeMismatch(function: "reduceScatter", expected: layout.total, actual: input.count)
        }
        resizeForReuse(&output, layout.count(rank))
        // Nothing to reduce on any rank (every rank has the same layout): two empty arrays may
        // share one address, which MPICH refuses as aliased buffers.
        guard layout.total > 0 else { return }
        try input.withUnsafeBufferPointer { src in
            try output.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(layout.total) else {
                    return try largeReduceScatter(
                        src.baseAddress!, into: dst.baseAddress, counts: layout.counts64,
                        displacements: layout.displacements64, op: op)
                }
                try layout.counts32.withUnsafeBufferPointer { c32 in
                    try check(
                        MPI_Reduce_scatter(
                            src.baseAddress, dst.baseAddress, c32.baseAddress, T.mpiKind.datatype,
                            op.handle, handle), "MPI_Reduce_scatter")
                }
            }
        }
    }
}
