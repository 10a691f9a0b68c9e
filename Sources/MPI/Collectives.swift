// MPI/Collectives.swift — typed collectives over Swift arrays: allreduce (in-place and
// out-of-place), allgather(v), reduce-scatter (block and v), bcast, gather(v). Counts beyond
// MPI's `int` go through LargeCounts.swift.
import CMPI

extension Communicator {
    // MARK: allreduce

    /// Element-wise reduction of `values` over all ranks; every rank gets the result.
    public func allreduce<T: MPIScalar>(_ values: [T], op: ReductionOp) throws -> [T] {
        let n = values.count
        // Uninitialised, not `values`: a copy of the input would be a wasted copy-on-write memcpy.
        var result = [T](unsafeUninitializedCapacity: values.count) { _, c in c = values.count }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(n) else {
                    return try largeAllreduce(src.baseAddress, dst.baseAddress!, count: n, op: op)
                }
                try check(
                    MPI_Allreduce(
                        src.baseAddress, dst.baseAddress, Int32(n), T.mpiKind.datatype, op.handle,
                        handle), "MPI_Allreduce")
            }
        }
        return result
    }

    /// In-place all-reduce: `values` is replaced by the reduction over all ranks.
    public func allreduce<T: MPIScalar>(inPlace values: inout [T], op: ReductionOp) throws {
        try values.withUnsafeMutableBufferPointer { try allreduce(inPlace: $0, op: op) }
    }

    /// In-place all-reduce over a buffer (the fused gradient buffer of a training step).
    public func allreduce<T: MPIScalar>(inPlace values: UnsafeMutableBufferPointer<T>, op: ReductionOp) throws {
        let n = values.count
        guard LargeCounts.fits(n) else { return try largeAllreduce(nil, values.baseAddress!, count: n, op: op) }
        try check(
            MPI_Allreduce(cmpi_in_place(), values.baseAddress, Int32(n), T.mpiKind.datatype, op.handle, handle),
            "MPI_Allreduce")
    }

    /// All-reduce of one value.
    public func allreduce<T: MPIScalar>(_ value: T, op: ReductionOp) throws -> T {
        var v = [value]
        try allreduce(inPlace: &v, op: op)
        return v[0]
    }

    // MARK: allgather

    /// Concatenation, in rank order, of every rank's `values`. Every rank must pass the same count.
    public func allgather<T: MPIScalar>(_ values: [T]) throws -> [T] {
        var result: [T] = []
        try allgather(values, into: &result)
        return result
    }

    /// All-gather of one value per rank.
    public func allgather<T: MPIScalar>(_ value: T) throws -> [T] { try allgather([value]) }

    /// Concatenation, in rank order, of every rank's `values`, whose counts may differ.
    /// - Returns: the concatenation and each rank's count.
    public func allgatherv<T: MPIScalar>(_ values: [T]) throws -> (values: [T], counts: [Int]) {
        let counts = try allgather(Int64(values.count)).map(Int.init)
        return (try allgatherv(values, counts: counts), counts)
    }

    /// Like ``allgatherv(_:)`` when every rank already knows every rank's count.
    public func allgatherv<T: MPIScalar>(_ values: [T], counts: [Int]) throws -> [T] {
        guard counts.count == size else {
            throw MPIError.sizeMismatch(function: "allgatherv(counts:)", expected: size, actual: counts.count)
        }
        guard counts[rank] == values.count else {
            throw MPIError.sizeMismatch(function: "allgatherv", expected: counts[rank], actual: values.count)
        }
        var result: [T] = []
        try allgatherv(values, into: &result, layout: try VectorLayout(counts: counts))
        return result
    }

    // MARK: reduce-scatter

    /// Reduces `values` element-wise over all ranks and gives rank r block r of the result.
    /// `values.count` must be a multiple of `size`; each block holds `values.count / size`.
    public func reduceScatter<T: MPIScalar>(_ values: [T], op: ReductionOp) throws -> [T] {
        guard values.count % size == 0 else {
            throw MPIError.invalidArgument(
                "reduceScatter: \(values.count) elements do not split into \(size) equal blocks; use reduceScatter(_:counts:op:)."
            )
        }
        let block = values.count / size
        guard block > 0 else { return [] }
        guard LargeCounts.fits(values.count) else {
            return try reduceScatter(values, counts: [Int](repeating: block, count: size), op: op)
        }
        let n = Int32(block)
        var result = [T](repeating: values[0], count: block)
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                try check(
                    MPI_Reduce_scatter_block(
                        src.baseAddress, dst.baseAddress, n, T.mpiKind.datatype, op.handle, handle),
                    "MPI_Reduce_scatter_block")
            }
        }
        return result
    }

    /// Reduces `values` element-wise over all ranks and gives rank r the block of
    /// `counts[r]` elements starting at `counts[0..<r].sum()` (blocks may be uneven).
    public func reduceScatter<T: MPIScalar>(_ values: [T], counts: [Int], op: ReductionOp) throws -> [T] {
        guard counts.count == size else {
            throw MPIError.sizeMismatch(function: "reduceScatter(counts:)", expected: size, actual: counts.count)
        }
        // Validate this rank's count before allocating: a negative count must throw, not trap.
        let mine = counts[rank]
        guard mine >= 0 else { throw MPIError.invalidArgument("reduceScatter: negative count \(mine).") }
        var result = [T](unsafeUninitializedCapacity: mine) { _, n in n = mine }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                try reduceScatter(src, into: dst, counts: counts, op: op)
            }
        }
        return result
    }

    /// Buffer form of ``reduceScatter(_:counts:op:)``: `output.count` must equal `counts[rank]`.
    public func reduceScatter<T: MPIScalar>(
        _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
        counts: [Int], op: ReductionOp
    ) throws {
        guard counts.count == size else {
            throw MPIError.sizeMismatch(function: "reduceScatter(counts:)", expected: size, actual: counts.count)
        }
        let (c64, d64, total) = try largeCountsAndDisplacements(counts, "reduceScatter")
        guard input.count == total else {
            throw MPIError.sizeMismatch(function: "reduceScatter", expected: total, actual: input.count)
        }
        guard output.count == counts[rank] else {
            throw MPIError.sizeMismatch(function: "reduceScatter", expected: counts[rank], actual: output.count)
        }
        guard LargeCounts.fits(total) else {
            return try largeReduceScatter(
                input.baseAddress!, into: output.baseAddress, counts: c64, displacements: d64,
                op: op)
        }
        let c32 = c64.map { Int32($0) }
        try check(
            MPI_Reduce_scatter(input.baseAddress, output.baseAddress, c32, T.mpiKind.datatype, op.handle, handle),
            "MPI_Reduce_scatter")
    }

    // MARK: broadcast

    /// Broadcasts `values` from `root` in place; every rank must pass an array of the same count.
    public func bcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        try checkRoot(root, "bcast")
        let n = values.count
        try values.withUnsafeMutableBufferPointer { buf in
            guard LargeCounts.fits(n) else { return try largeBcast(buf.baseAddress!, count: n, root: root) }
            try check(MPI_Bcast(buf.baseAddress, Int32(n), T.mpiKind.datatype, Int32(root), handle), "MPI_Bcast")
        }
    }

    /// Broadcasts an array whose length only the root knows: the root passes its values,
    /// the others anything (ignored); every rank returns the root's array.
    public func broadcast<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> [T] {
        var count = [Int64(values.count)]
        try bcast(&count, root: root)
        var result: [T]
        if rank == root {
            result = values
        } else {
            result = [T](unsafeUninitializedCapacity: Int(count[0])) { _, n in n = Int(count[0]) }
        }
        try bcast(&result, root: root)
        return result
    }

    /// Broadcasts a string from `root` (UTF-8).
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        let bytes = try broadcast(Array(text.utf8), root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: gather

    /// Gathers every rank's `values` (same count everywhere) on `root`, in rank order.
    /// - Returns: the concatenation on the root, `nil` elsewhere.
    public func gather<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> [T]? {
        try checkRoot(root, "gather")
        let count = values.count
        let total = rank == root ? count * size : 0
        var result = [T](unsafeUninitializedCapacity: total) { _, c in c = total }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(count * size) else {
                    let counts = [Int64](repeating: Int64(count), count: size)
                    return try largeGatherv(
                        src.baseAddress, count: count, into: dst.baseAddress, counts: counts,
                        displacements: (0..<size).map { Int64($0 * count) }, root: root)
                }
                let n = Int32(count)
                try check(
                    MPI_Gather(
                        src.baseAddress, n, T.mpiKind.datatype,
                        dst.baseAddress, n, T.mpiKind.datatype, Int32(root), handle), "MPI_Gather")
            }
        }
        return rank == root ? result : nil
    }

    /// Gathers every rank's `values` (counts may differ) on `root`, in rank order.
    /// - Returns: on the root, the concatenation and each rank's count; `nil` elsewhere.
    public func gatherv<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> (values: [T], counts: [Int])? {
        try checkRoot(root, "gatherv")
        // Every rank learns every count (not only the root): all then agree whether the call
        // fits MPI's `int` or takes the large-count path.
        let counts = try allgather(Int64(values.count)).map(Int.init)
        let (c64, d64, total) = try largeCountsAndDisplacements(counts, "gatherv")
        let isRoot = rank == root
        var result = [T](unsafeUninitializedCapacity: isRoot ? total : 0) { _, c in c = isRoot ? total : 0 }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                guard LargeCounts.fits(total) else {
                    return try largeGatherv(
                        src.baseAddress, count: values.count, into: dst.baseAddress, counts: c64,
                        displacements: d64, root: root)
                }
                let c32 = c64.map { Int32($0) }
                let d32 = d64.map { Int32($0) }
                let into = isRoot ? dst.baseAddress : nil
                try check(
                    MPI_Gatherv(
                        src.baseAddress, Int32(values.count), T.mpiKind.datatype, into, c32, d32,
                        T.mpiKind.datatype, Int32(root), handle), "MPI_Gatherv")
            }
        }
        return isRoot ? (result, counts) : nil
    }

    // MARK: helpers

    func checkRoot(_ root: Int, _ function: String) throws {
        guard (0..<size).contains(root) else {
            throw MPIError.invalidArgument(
                "\(function): root \(root) is not a rank of this communicator (size \(size)).")
        }
    }
}
