// MPI/RingReduceScatter.swift — a sum reduce-scatter over a ring of ranks with uneven blocks
// (a VectorLayout) and scratch kept between calls. Open MPI 4.1's MPI_Reduce_scatter takes
// temporary buffers on every call; the distributed loss reduce-scatters its candidate
// gradient every step, so it uses this one to keep a step free of heap allocations. Same
// volume as the bandwidth-optimal algorithm: (p−1)/p of the buffer per rank.
import CMPI

/// Sum reduce-scatter: rank r receives the element-wise sum over ranks of block r of the
/// input (blocks laid out by a ``VectorLayout``). p − 1 shifts around the ring: at shift s
/// rank r sends its partial of block (r − s − 1) to r + 1 and adds the partial of block
/// (r − s − 2) it receives from r − 1. Each block is summed in one fixed order, so the
/// result does not depend on timing. After the first call with a given largest block
/// nothing is allocated.
///
///     let reducer = RingReduceScatter<Float>(communicator: comm)
///     try reducer.sum(&partials, layout: layout, into: &mine)   // every rank, same layout
public final class RingReduceScatter<T: MPIScalar & AdditiveArithmetic> {
    /// The ranks that take part.
    public let communicator: Communicator
    /// The tag of its messages.
    public let tag: Int32
    private var scratch: [T] = []

    public init(communicator: Communicator, tag: Int = 0x5253) {
        self.communicator = communicator
        self.tag = Int32(tag)
    }

    /// Writes into `output` (resized to layout.count(rank) elements; no allocation when it
    /// already has that count) the sum over ranks of this rank's block of `values`
    /// (layout.total elements). `values` is used as scratch: its blocks other than this rank's
    /// hold partial sums afterwards. Collective: every rank passes the same layout.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func sum(_ values: inout [T], layout: VectorLayout, into output: inout [T]) throws {
        let comm = communicator
        let p = comm.size
        let r = comm.rank
        guard layout.rankCount == p else {
            throw MPIError.sizeMismatch(function: "RingReduceScatter", expected: p, actual: layout.rankCount)
        }
        guard values.count == layout.total else {
            throw MPIError.sizeMismatch(function: "RingReduceScatter", expected: layout.total, actual: values.count)
        }
        var largest = 0
        for q in 0..<p { largest = Swift.max(largest, layout.count(q)) }
        if p > 1 && largest > 0 {
            if scratch.count < largest { scratch = [T](repeating: .zero, count: largest) }
            let next = Int32((r + 1) % p)
            let prev = Int32((r + p - 1) % p)
            let type = T.mpiKind.datatype
            try values.withUnsafeMutableBufferPointer { data in
                try scratch.withUnsafeMutableBufferPointer { tmp in
                    let base = data.baseAddress!
                    let t = tmp.baseAddress!
                    for s in 0..<(p - 1) {
                        let out = (r - s - 1 + 2 * p) % p
                        let into = (r - s - 2 + 2 * p) % p
                        try check(
                            MPI_Sendrecv(
                                base + layout.displacement(out), try mpiCount(layout.count(out), "RingReduceScatter"),
                                type, next, tag,
                                t, try mpiCount(layout.count(into), "RingReduceScatter"), type, prev, tag,
                                comm.handle, cmpi_status_ignore()), "MPI_Sendrecv")
                        let dst = base + layout.displacement(into)
                        for i in 0..<layout.count(into) { dst[i] += t[i] }
                    }
                }
            }
        }
        let n = layout.count(r)
        let at = layout.displacement(r)
        if output.count != n {
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: repeatElement(.zero, count: n))
        }
        for i in 0..<n { output[i] = values[at + i] }
    }
}
