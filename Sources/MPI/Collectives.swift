// MPI/Collectives.swift — typed collectives over Swift arrays: allreduce (in-place and
// out-of-place), allgather(v), reduce-scatter (block and v), bcast, gather(v).
import CMPI

extension Communicator {
    // MARK: allreduce

    /// Element-wise reduction of `values` over all ranks; every rank gets the result.
    public func allreduce<T: MPIScalar>(_ values: [T], op: ReductionOp) throws -> [T] {
        let n = try mpiCount(values.count, "allreduce")
        // Uninitialised, not `values`: a copy of the input would be a wasted copy-on-write memcpy.
        var result = [T](unsafeUninitializedCapacity: values.count) { _, c in c = values.count }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
                try check(
                    MPI_Allreduce(src.baseAddress, dst.baseAddress, n, T.mpiKind.datatype, op.handle, handle),
                    "MPI_Allreduce")
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
        let n = try mpiCount(values.count, "allreduce")
        try check(
            MPI_Allreduce(cmpi_in_place(), values.baseAddress, n, T.mpiKind.datatype, op.handle, handle),
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
        let n = try mpiCount(block, "reduceScatter")
        guard block > 0 else { return [] }
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
        let mine = Int(try mpiCount(counts[rank], "reduceScatter"))
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
        let (c32, _, total) = try countsAndDisplacements(counts, "reduceScatter")
        guard input.count == total else {
            throw MPIError.sizeMismatch(function: "reduceScatter", expected: total, actual: input.count)
        }
        guard output.count == counts[rank] else {
            throw MPIError.sizeMismatch(function: "reduceScatter", expected: counts[rank], actual: output.count)
        }
        try check(
            MPI_Reduce_scatter(input.baseAddress, output.baseAddress, c32, T.mpiKind.datatype, op.handle, handle),
            "MPI_Reduce_scatter")
    }

    // MARK: broadcast

    /// Broadcasts `values` from `root` in place; every rank must pass an array of the same count.
    public func bcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        try checkRoot(root, "bcast")
        let n = try mpiCount(values.count, "bcast")
        try values.withUnsafeMutableBufferPointer { buf in
            try check(MPI_Bcast(buf.baseAddress, n, T.mpiKind.datatype, Int32(root), handle), "MPI_Bcast")
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
        let n = try mpiCount(values.count, "gather")
        let total = rank == root ? values.count * size : 0
        var result = [T](unsafeUninitializedCapacity: total) { _, c in c = total }
        try values.withUnsafeBufferPointer { src in
            try result.withUnsafeMutableBufferPointer { dst in
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
        let counts = try gather([Int64(values.count)], root: root)?.map(Int.init)
        let n = try mpiCount(values.count, "gatherv")
        if let counts {
            let (c32, d32, total) = try countsAndDisplacements(counts, "gatherv")
            var result = [T](unsafeUninitializedCapacity: total) { _, c in c = total }
            try values.withUnsafeBufferPointer { src in
                try result.withUnsafeMutableBufferPointer { dst in
                    try check(
                        MPI_Gatherv(
                            src.baseAddress, n, T.mpiKind.datatype,
                            dst.baseAddress, c32, d32, T.mpiKind.datatype, Int32(root), handle), "MPI_Gatherv")
                }
            }
            return (result, counts)
        } else {
            try values.withUnsafeBufferPointer { src in
                try check(
                    MPI_Gatherv(
                        src.baseAddress, n, T.mpiKind.datatype,
                        nil, nil, nil, T.mpiKind.datatype, Int32(root), handle), "MPI_Gatherv")
            }
            return nil
        }
    }

    // MARK: helpers

    func checkRoot(_ root: Int, _ function: String) throws {
        guard (0..<size).contains(root) else {
            throw MPIError.invalidArgument(
                "\(function): root \(root) is not a rank of this communicator (size \(size)).")
        }
    }

    func countsAndDisplacements(_ counts: [Int], _ function: String) throws -> ([Int32], [Int32], Int) {
        var c32 = [Int32]()
        var d32 = [Int32]()
        c32.reserveCapacity(counts.count)
        d32.reserveCapacity(counts.count)
        var offset = 0
        for c in counts {
            guard c >= 0 else { throw MPIError.invalidArgument("\(function): negative count \(c).") }
            c32.append(try mpiCount(c, function))
            d32.append(try mpiCount(offset, function))
            offset += c
        }
        return (c32, d32, offset)
    }
}
