// MPI/LargeCounts.swift — collectives whose counts or displacements do not fit MPI's `int`
// (2^31 − 1 elements). They go through the MPI-4 large-count calls (MPI_Allreduce_c, ...) where
// the library has them (MPICH 4) and are split into `int`-sized pieces otherwise (Open MPI 4.1):
// the typed collectives of Collectives.swift and ReusingCollectives.swift call these only when
// a count is too large, so ordinary calls keep their single `int` MPI call.
import CMPI

/// How the wrapper passes counts beyond MPI's `int`. Every rank must see the same settings.
enum LargeCounts {
    /// The largest count or displacement a collective passes to an `int` MPI call; larger ones
    /// take the large-count or the chunked path, in pieces of at most this many elements.
    /// Tests lower it so that small buffers exercise those paths.
    nonisolated(unsafe) static var maximumCount = Int(Int32.max)
    /// Whether the library's MPI-4 `_c` calls are used when it has them; tests turn it off to
    /// exercise the chunked path under MPICH too.
    nonisolated(unsafe) static var useLibraryCalls = true

    /// Whether the MPI library has the MPI-4 large-count calls.
    static var libraryHasThem: Bool { cmpi_has_large_count() != 0 }

    /// Whether a too-large call goes to the library's `_c` call (else it is chunked).
    static var viaLibrary: Bool { useLibraryCalls && libraryHasThem }

    /// Whether `n` elements can be passed as one `int` count.
    @inline(__always)
    static func fits(_ n: Int) -> Bool { n <= maximumCount }

    /// The pieces of `0..<count`, each at most `maximumCount` long.
    static func pieces(_ count: Int) -> StrideTo<Int> { stride(from: 0, to: count, by: Swift.max(maximumCount, 1)) }

    /// The length of the piece that starts at `start`.
    static func piece(at start: Int, of count: Int) -> Int32 {
        Int32(Swift.min(Swift.max(maximumCount, 1), count - start))
    }

    /// How many requests a nonblocking or persistent collective of `count` elements takes: one
    /// when the count fits `int` or goes to the library's `_c` call, else one per piece.
    static func requestCount(_ count: Int) -> Int {
        if fits(count) || viaLibrary { return 1 }
        let size = Swift.max(maximumCount, 1)
        return (count + size - 1) / size
    }
}

extension Communicator {
    /// All-reduce of `count` elements too many for one `int` call; `source` nil means in place.
    func largeAllreduce<T: MPIScalar>(
        _ source: UnsafePointer<T>?, _ target: UnsafeMutablePointer<T>, count: Int,
        op: ReductionOp
    ) throws {
        let type = T.mpiKind.datatype
        if LargeCounts.viaLibrary {
            let src = source.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(cmpi_in_place())
            try check(cmpi_allreduce_c(src, target, Int64(count), type, op.handle, handle), "MPI_Allreduce_c")
            return
        }
        for at in LargeCounts.pieces(count) {
            let src = source.map { UnsafeRawPointer($0 + at) } ?? UnsafeRawPointer(cmpi_in_place())
            try check(
                MPI_Allreduce(src, target + at, LargeCounts.piece(at: at, of: count), type, op.handle, handle),
                "MPI_Allreduce")
        }
    }

    /// Starts the in-place all-reduce of the `count` elements at `buffer` into the
    /// ``LargeCounts/requestCount(_:)`` slots at `requests`: one MPI_Iallreduce when the count
    /// fits `int`, else MPI_Iallreduce_c, else one MPI_Iallreduce per piece (started in the same
    /// order on every rank). Complete every slot before touching the buffer.
    func startIallreduce<T: MPIScalar>(
        inPlace buffer: UnsafeMutablePointer<T>?, count: Int, op: ReductionOp,
        requests: UnsafeMutablePointer<RequestSlot>
    ) throws {
        let type = T.mpiKind.datatype
        try allreduceRequests(
            buffer, count: count, requests: requests, names: ("MPI_Iallreduce", "MPI_Iallreduce_c"),
            int: { MPI_Iallreduce(cmpi_in_place(), $0, $1, type, op.handle, handle, $2) },
            large: { cmpi_iallreduce_c($0, $1, type, op.handle, handle, $2) })
    }

    /// Sets up the persistent in-place all-reduce (MPI-4) of the `count` elements at `buffer`
    /// in the ``LargeCounts/requestCount(_:)`` slots at `requests`: MPI_Allreduce_init when the
    /// count fits `int`, else MPI_Allreduce_init_c, else one MPI_Allreduce_init per piece.
    func initAllreduce<T: MPIScalar>(
        inPlace buffer: UnsafeMutablePointer<T>?, count: Int, op: ReductionOp,
        requests: UnsafeMutablePointer<RequestSlot>
    ) throws {
        let type = T.mpiKind.datatype
        try allreduceRequests(
            buffer, count: count, requests: requests, names: ("MPI_Allreduce_init", "MPI_Allreduce_init_c"),
            int: { cmpi_allreduce_init($0, $1, type, op.handle, handle, $2) },
            large: { cmpi_allreduce_init_c($0, $1, type, op.handle, handle, $2) })
    }

    /// The one choice of the request-based in-place all-reduces: `int` (buffer, count, slot)
    /// when the count fits `int`, else `large` with the whole count when the library has the
    /// `_c` calls, else `int` once per piece into consecutive slots (the same order on every rank).
    private func allreduceRequests<T>(
        _ buffer: UnsafeMutablePointer<T>?, count: Int, requests: UnsafeMutablePointer<RequestSlot>,
        names: (int: String, large: String),
        int: (UnsafeMutablePointer<T>?, Int32, UnsafeMutablePointer<RequestSlot>) -> Int32,
        large: (UnsafeMutablePointer<T>?, Int64, UnsafeMutablePointer<RequestSlot>) -> Int32
    ) throws {
        if LargeCounts.fits(count) {
            try check(int(buffer, Int32(count), requests), names.int)
        } else if LargeCounts.viaLibrary {
            try check(large(buffer, Int64(count), requests), names.large)
        } else if let buffer {
            var slot = requests
            for at in LargeCounts.pieces(count) {
                try check(int(buffer + at, LargeCounts.piece(at: at, of: count), slot), names.int)
                slot += 1
            }
        }
    }

    /// Broadcast of `count` elements from `root`, too many for one `int` call.
    func largeBcast<T: MPIScalar>(_ buffer: UnsafeMutablePointer<T>, count: Int, root: Int) throws {
        let type = T.mpiKind.datatype
        if LargeCounts.viaLibrary {
            try check(cmpi_bcast_c(buffer, Int64(count), type, Int32(root), handle), "MPI_Bcast_c")
            return
        }
        for at in LargeCounts.pieces(count) {
            try check(
                MPI_Bcast(buffer + at, LargeCounts.piece(at: at, of: count), type, Int32(root), handle),
                "MPI_Bcast")
        }
    }

    /// All-gather(v) when a count or displacement is too large for `int`: rank r's `counts[r]`
    /// elements land at `displacements[r]` of `target` on every rank. Chunked, each rank's block
    /// is broadcast from its owner in turn.
    func largeAllgatherv<T: MPIScalar>(
        _ source: UnsafePointer<T>?, into target: UnsafeMutablePointer<T>,
        counts: [Int64], displacements: [Int64]
    ) throws {
        let type = T.mpiKind.datatype
        let mine = Int(counts[rank])
        if LargeCounts.viaLibrary {
            try check(
                cmpi_allgatherv_c(source, Int64(mine), target, counts, displacements, type, handle),
                "MPI_Allgatherv_c")
            return
        }
        if let source, mine > 0 { (target + Int(displacements[rank])).update(from: source, count: mine) }
        for r in 0..<size where counts[r] > 0 {
            try largeBcast(target + Int(displacements[r]), count: Int(counts[r]), root: r)
        }
    }

    /// Reduce-scatter when a count or displacement is too large for `int`: rank r receives in
    /// `target` the reduction of the `counts[r]` elements at `displacements[r]` of `source`.
    /// Chunked, each block is reduced onto its owner in turn (MPI_Reduce).
    func largeReduceScatter<T: MPIScalar>(
        _ source: UnsafePointer<T>, into target: UnsafeMutablePointer<T>?,
        counts: [Int64], displacements: [Int64], op: ReductionOp
    ) throws {
        let type = T.mpiKind.datatype
        if LargeCounts.viaLibrary {
            try check(cmpi_reduce_scatter_c(source, target, counts, type, op.handle, handle), "MPI_Reduce_scatter_c")
            return
        }
        for r in 0..<size {
            let n = Int(counts[r])
            let block = source + Int(displacements[r])
            for at in LargeCounts.pieces(n) {
                let into = r == rank ? target.map { $0 + at } : nil
                try check(
                    MPI_Reduce(block + at, into, LargeCounts.piece(at: at, of: n), type, op.handle, Int32(r), handle),
                    "MPI_Reduce")
            }
        }
    }

    /// Gather(v) onto `root` when a count or displacement is too large for `int`; `target`,
    /// `counts` and `displacements` matter on the root only. Chunked, every other rank sends
    /// its block to the root in pieces.
    func largeGatherv<T: MPIScalar>(
        _ source: UnsafePointer<T>?, count: Int, into target: UnsafeMutablePointer<T>?,
        counts: [Int64], displacements: [Int64], root: Int
    ) throws {
        let type = T.mpiKind.datatype
        if LargeCounts.viaLibrary {
            try check(
                cmpi_gatherv_c(source, Int64(count), target, counts, displacements, type, Int32(root), handle),
                "MPI_Gatherv_c")
            return
        }
        let tag: Int32 = 0x4c47  // a tag of its own: pieces never match the caller's messages
        if rank != root {
            guard let source else { return }
            for at in LargeCounts.pieces(count) {
                try check(
                    MPI_Send(source + at, LargeCounts.piece(at: at, of: count), type, Int32(root), tag, handle),
                    "MPI_Send")
            }
            return
        }
        guard let target else { return }
        for r in 0..<size {
            let n = Int(counts[r])
            let block = target + Int(displacements[r])
            if r == rank {
                if let source, n > 0 { block.update(from: source, count: n) }
                continue
            }
            for at in LargeCounts.pieces(n) {
                try check(
                    MPI_Recv(
                        block + at, LargeCounts.piece(at: at, of: n), type, Int32(r), tag, handle,
                        cmpi_status_ignore()), "MPI_Recv")
            }
        }
    }

    /// Each rank's count and displacement as MPI's large-count types, and the total; throws for
    /// a negative count.
    func largeCountsAndDisplacements(_ counts: [Int], _ function: String) throws -> ([Int64], [Int64], Int) {
        var c64 = [Int64]()
        var d64 = [Int64]()
        c64.reserveCapacity(counts.count)
        d64.reserveCapacity(counts.count)
        var offset = 0
        for c in counts {
            guard c >= 0 else { throw MPIError.invalidArgument("\(function): negative count \(c).") }
            c64.append(Int64(c))
            d64.append(Int64(offset))
            offset += c
        }
        return (c64, d64, offset)
    }
}
