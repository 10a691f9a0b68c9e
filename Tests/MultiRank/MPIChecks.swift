// MPIChecks — the MPI wrapper's collectives and point-to-point at several ranks (owned by the
// MPI layer's tests). Every rank contributes values that depend on its rank, so a result in
// the wrong order, at the wrong offset or from the wrong root fails a check.
@testable import MPI  // LargeCounts' limit, lowered to run the large-count paths on small buffers

#if canImport(Glibc)
    import Glibc
#endif

/// An element type the multi-rank checks fill with small integers (exact in every type).
protocol MPICheckScalar: MPIScalar, Comparable {
    /// The value `v`, 0 ≤ v < 64 (so four ranks' sum still fits a UInt8).
    init(checkValue v: Int)
}
extension Float: MPICheckScalar { init(checkValue v: Int) { self = Float(v) } }
extension Double: MPICheckScalar { init(checkValue v: Int) { self = Double(v) } }
extension Int32: MPICheckScalar { init(checkValue v: Int) { self = Int32(v) } }
extension Int64: MPICheckScalar { init(checkValue v: Int) { self = Int64(v) } }
extension UInt8: MPICheckScalar { init(checkValue v: Int) { self = UInt8(v) } }
extension UInt64: MPICheckScalar { init(checkValue v: Int) { self = UInt64(v) } }

private let checkTypes: [any MPICheckScalar.Type] = [
    Float.self, Double.self, Int32.self, Int64.self, UInt8.self, UInt64.self,
]

/// Rank `r`'s value at index `i`: varies with both, so rank order and offsets matter.
private func value(rank r: Int, index i: Int) -> Int { (i * 7 + r * 13) % 50 + r }

private func values<T: MPICheckScalar>(_: T.Type, rank: Int, count: Int, from start: Int = 0) -> [T] {
    (start..<(start + count)).map { T(checkValue: value(rank: rank, index: $0)) }
}

func mpiChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "mpi")
    do {
        for t in checkTypes { try checkAllreduce(t, c) }
        for t in checkTypes { try checkGathers(t, c) }
        for t in checkTypes { try checkReduceScatter(t, c) }
        for t in checkTypes { try checkBroadcast(t, c) }
        try checkBroadcastString(c)
        try checkRing(c)
        try checkNonblockingRing(c)
        try checkOverlappedIallreduce(c)
        try checkSplit(c)
        try checkBarrier(c)
        try checkLargeAllreduce(c)
        try checkRingAllreduce(c)
        try checkPersistentRingAllreduce(c)
        try checkLibraryAllreduce(c)
        try checkAgreement(c)
        try checkLargeCountPaths(c)
    } catch {
        // One rank throwing while the others wait in a collective would hang the job.
        comm.abort(code: 1, message: "mpi checks threw on rank \(comm.rank): \(error)")
    }
    return c.finish()
}

// MARK: reductions

/// The trainer's nonblocking per-part all-reduce: two PersistentRingAllreduce over disjoint
/// parts of one buffer, in flight together, started three times (the persistent requests
/// reused), completed once by polling test() and once by wait(), equal MPI_Allreduce exactly
/// on integer-valued data, and leave the rest of the buffer alone; a second start while active
/// is refused.
private func checkPersistentRingAllreduce(_ c: Checks) throws {
    let comm = c.comm
    for n in [1, comm.size, 7, 4099] {
        let first = n / 3
        let total = n + 1
        let buffer = MPIBuffer<Float>(repeating: 0, count: total)
        let a = try PersistentRingAllreduce(communicator: comm, buffer: buffer, range: 0..<first, tag: 11)
        let b = try PersistentRingAllreduce(communicator: comm, buffer: buffer, range: first..<n, tag: 12)
        for round in 0..<3 {
            let mine = values(Float.self, rank: comm.rank, count: n, from: round)
            buffer.assign(mine)
            buffer[n] = -1
            try a.start()
            try b.start()
            if round == 1 {
                while !(try a.test()) {}
                while !(try b.test()) {}
            } else {
                try b.wait()
                try a.wait()
            }
            let want = try comm.allreduce(mine, op: .sum)
            c.expect(
                Array(buffer.array[0..<n]) == want,
                "PersistentRingAllreduce n=\(n) round \(round): differs from MPI_Allreduce")
            c.expect(buffer[n] == -1, "PersistentRingAllreduce n=\(n): wrote outside its parts")
            c.expect(!a.isActive && !b.isActive, "PersistentRingAllreduce n=\(n): still active after completing")
        }
    }
    if comm.size > 1 {
        let buffer = MPIBuffer<Float>(repeating: 1, count: 64)
        let r = try PersistentRingAllreduce(communicator: comm, buffer: buffer, range: 0..<64, tag: 13)
        try r.start()
        c.expect(
            throwsInvalidArgument { try r.start() }, "PersistentRingAllreduce: a second start while active is refused")
        try r.wait()
        c.expect(
            buffer.array == [Float](repeating: Float(comm.size), count: 64),
            "PersistentRingAllreduce of ones sums to the rank count")
    }
}

/// The trainer's persistent-scratch ring all-reduce equals MPI_Allreduce (exactly, on
/// integer-valued data), for lengths shorter than, equal to and longer than the rank count,
/// and gives every rank the same bits on real-valued data.
private func checkRingAllreduce(_ c: Checks) throws {
    let comm = c.comm
    let reducer = RingAllreduce<Float>(communicator: comm)
    for n in [0, 1, comm.size - 1, comm.size, 7, 1000, 4099] where n >= 0 {
        let mine = values(Float.self, rank: comm.rank, count: n)
        var ring = mine
        try reducer.sum(inPlace: &ring)
        let want = try comm.allreduce(mine, op: .sum)
        c.expect(ring == want, "RingAllreduce n=\(n): differs from MPI_Allreduce")
    }
    let doubles = RingAllreduce<Double>(communicator: comm)
    var x = (0..<513).map { 1.0 / Double($0 + 3 + comm.rank) }
    try doubles.sum(inPlace: &x)
    let onRoot = try comm.broadcast(x, root: 0)
    c.expect(onRoot == x, "RingAllreduce gives every rank the same bits")
    let want = (0..<513).map { i in (0..<comm.size).reduce(0.0) { $0 + 1.0 / Double(i + 3 + $1) } }
    c.expect(zip(x, want).allSatisfy { abs($0 - $1) <= 1e-14 * abs($1) }, "RingAllreduce sums to rounding")
}

private func checkAllreduce<T: MPICheckScalar>(_: T.Type, _ c: Checks) throws {
    let comm = c.comm
    let n = 10
    let mine = values(T.self, rank: comm.rank, count: n)
    let all = (0..<comm.size).map { values(T.self, rank: $0, count: n) }
    let expected: [(ReductionOp, [T])] = [
        (.sum, (0..<n).map { i in T(checkValue: (0..<comm.size).reduce(0) { $0 + value(rank: $1, index: i) }) }),
        (.max, (0..<n).map { i in all.map { $0[i] }.max()! }),
        (.min, (0..<n).map { i in all.map { $0[i] }.min()! }),
    ]
    for (op, want) in expected {
        let out = try comm.allreduce(mine, op: op)
        c.expect(out == want, "\(T.self) allreduce \(op) out-of-place: \(out) != \(want)")
        var inPlace = mine
        try comm.allreduce(inPlace: &inPlace, op: op)
        c.expect(inPlace == want, "\(T.self) allreduce \(op) in-place: \(inPlace) != \(want)")
        let scalar = try comm.allreduce(mine[3], op: op)
        c.expect(scalar == want[3], "\(T.self) allreduce \(op) scalar: \(scalar) != \(want[3])")
    }
}

private func checkReduceScatter<T: MPICheckScalar>(_: T.Type, _ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    func sumOverRanks(_ i: Int) -> T { T(checkValue: (0..<size).reduce(0) { $0 + value(rank: $1, index: i) }) }

    // Block form: 3 elements per rank; rank r gets elements 3r..<3r+3 of the sum.
    let block = try comm.reduceScatter(values(T.self, rank: rank, count: 3 * size), op: .sum)
    let wantBlock = (3 * rank..<3 * rank + 3).map(sumOverRanks)
    c.expect(block == wantBlock, "\(T.self) reduceScatter block: \(block) != \(wantBlock)")
    let maxBlock = try comm.reduceScatter(values(T.self, rank: rank, count: 3 * size), op: .max)
    let wantMax = (3 * rank..<3 * rank + 3).map { i in
        (0..<size).map { T(checkValue: value(rank: $0, index: i)) }.max()!
    }
    c.expect(maxBlock == wantMax, "\(T.self) reduceScatter block max: \(maxBlock) != \(wantMax)")

    // Uneven counts with a zero: rank 1 gets nothing, rank r otherwise gets r + 2.
    let counts = (0..<size).map { $0 == 1 ? 0 : $0 + 2 }
    let offset = counts[..<rank].reduce(0, +)
    let total = counts.reduce(0, +)
    let uneven = try comm.reduceScatter(values(T.self, rank: rank, count: total), counts: counts, op: .sum)
    let wantUneven = (offset..<offset + counts[rank]).map(sumOverRanks)
    c.expect(uneven == wantUneven, "\(T.self) reduceScatter counts \(counts): \(uneven) != \(wantUneven)")

    if size > 1 {
        c.expect(
            throwsInvalidArgument { _ = try comm.reduceScatter(values(T.self, rank: rank, count: size + 1), op: .sum) },
            "\(T.self) reduceScatter of \(size + 1) elements over \(size) ranks must throw invalidArgument")
    }
}

// MARK: gathers

private func checkGathers<T: MPICheckScalar>(_: T.Type, _ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank

    let gathered = try comm.allgather(values(T.self, rank: rank, count: 3))
    let want = (0..<size).flatMap { values(T.self, rank: $0, count: 3) }
    c.expect(gathered == want, "\(T.self) allgather: \(gathered) != \(want)")
    let one = try comm.allgather(T(checkValue: rank * 5))
    c.expect(one == (0..<size).map { T(checkValue: $0 * 5) }, "\(T.self) allgather scalar: \(one)")

    // Uneven: rank r contributes r + 1 values, except rank 1, which contributes none.
    let counts = (0..<size).map { $0 == 1 ? 0 : $0 + 1 }
    let mine = values(T.self, rank: rank, count: counts[rank], from: 100)
    let wantV = (0..<size).flatMap { values(T.self, rank: $0, count: counts[$0], from: 100) }
    let v = try comm.allgatherv(mine)
    c.expect(v.counts == counts, "\(T.self) allgatherv counts: \(v.counts) != \(counts)")
    c.expect(v.values == wantV, "\(T.self) allgatherv values: \(v.values) != \(wantV)")
    let known = try comm.allgatherv(mine, counts: counts)
    c.expect(known == wantV, "\(T.self) allgatherv(counts:): \(known) != \(wantV)")

    // Gather to the last rank (a non-zero root whenever size > 1).
    let root = size - 1
    let g = try comm.gather(values(T.self, rank: rank, count: 2, from: 7), root: root)
    if rank == root {
        let wantG = (0..<size).flatMap { values(T.self, rank: $0, count: 2, from: 7) }
        c.expect(g == wantG, "\(T.self) gather to root \(root): \(String(describing: g)) != \(wantG)")
    } else {
        c.expect(g == nil, "\(T.self) gather: non-root \(rank) got \(String(describing: g))")
    }
    let gv = try comm.gatherv(mine, root: root)
    if rank == root {
        c.expect(gv?.counts == counts, "\(T.self) gatherv counts: \(String(describing: gv?.counts))")
        c.expect(gv?.values == wantV, "\(T.self) gatherv values: \(String(describing: gv?.values)) != \(wantV)")
    } else {
        c.expect(gv == nil, "\(T.self) gatherv: non-root \(rank) got a result")
    }
}

// MARK: broadcast

private func checkBroadcast<T: MPICheckScalar>(_: T.Type, _ c: Checks) throws {
    let comm = c.comm
    let root = comm.size - 1
    let rootValues = values(T.self, rank: root, count: 9)
    var buffer = comm.rank == root ? rootValues : [T](repeating: T(checkValue: 63), count: 9)
    try comm.bcast(&buffer, root: root)
    c.expect(buffer == rootValues, "\(T.self) bcast from \(root): \(buffer) != \(rootValues)")

    // Only the root knows the length: other ranks pass arrays of a different length.
    let mine =
        comm.rank == root
        ? values(T.self, rank: root, count: 5 + root) : values(T.self, rank: comm.rank, count: comm.rank)
    let got = try comm.broadcast(mine, root: root)
    let wantArray = values(T.self, rank: root, count: 5 + root)
    c.expect(got == wantArray, "\(T.self) broadcast array from \(root): \(got) != \(wantArray)")
}

private func checkBroadcastString(_ c: Checks) throws {
    let comm = c.comm
    let root = comm.size - 1
    let text = "from rank \(root) of \(comm.size): héllo ✓"
    let got = try comm.broadcast(comm.rank == root ? text : "", root: root)
    c.expect(got == text, "broadcast string from \(root): \(got)")
    let empty = try comm.broadcast(comm.rank == root ? "" : "not the root's", root: root)
    c.expect(empty == "", "broadcast of an empty string: \(empty)")
}

// MARK: point-to-point

private func checkRing(_ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    let right = (rank + 1) % size
    let left = (rank + size - 1) % size
    let got: [Double] = try comm.sendrecv(
        values(Double.self, rank: rank, count: 6), to: right, receiveCount: 6, from: left, tag: 21)
    c.expect(got == values(Double.self, rank: left, count: 6), "ring sendrecv from \(left): \(got)")
    let back: [Int64] = try comm.sendrecv(
        values(Int64.self, rank: rank, count: 4), to: left, receiveCount: 4, from: right, tag: 22)
    c.expect(back == values(Int64.self, rank: right, count: 4), "reverse ring sendrecv from \(right): \(back)")
}

private func checkNonblockingRing(_ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    let right = (rank + 1) % size
    let left = (rank + size - 1) % size
    let fromLeft = MPIBuffer<Float>(repeating: -1, count: 1000)
    let fromRight = MPIBuffer<Float>(repeating: -1, count: 1000)
    let requests = [
        try comm.irecv(into: fromLeft, from: left, tag: 31),
        try comm.irecv(into: fromRight, from: right, tag: 32),
        try comm.isend(MPIBuffer(values(Float.self, rank: rank, count: 1000)), to: right, tag: 31),
        try comm.isend(MPIBuffer(values(Float.self, rank: rank, count: 1000, from: 5)), to: left, tag: 32),
    ]
    try Request.waitAll(requests)
    c.expect(requests.allSatisfy { $0.isComplete }, "isend/irecv ring: every request complete after waitAll")
    c.expect(fromLeft.array == values(Float.self, rank: left, count: 1000), "isend/irecv ring from left \(left)")
    c.expect(
        fromRight.array == values(Float.self, rank: right, count: 1000, from: 5), "isend/irecv ring from right \(right)"
    )

    let all = MPIBuffer<Int32>(repeating: -1, count: 2 * size)
    try comm.iallgather(MPIBuffer<Int32>([Int32(rank), Int32(rank * rank)]), into: all).wait()
    c.expect(all.array == (0..<size).flatMap { [Int32($0), Int32($0 * $0)] }, "iallgather: \(all.array)")
}

private func checkOverlappedIallreduce(_ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    let n = 1 << 18
    let buffer = MPIBuffer<Float>((0..<n).map { Float($0 % 97 + rank) })
    let request = try comm.iallreduce(buffer, op: .sum)
    // Local work while the reduction is in flight, testing now and then to drive progress.
    var local = 0.0
    for i in 0..<200_000 {
        local += Double(i % 13) * 0.5
        if i % 20_000 == 0 { _ = try request.test() }
    }
    try request.wait()
    c.expect(local == (0..<200_000).reduce(0.0) { $0 + Double($1 % 13) * 0.5 }, "local work during iallreduce")
    let offset = size * (size - 1) / 2
    var bad = 0
    buffer.withUnsafeBufferPointer { p in
        for i in 0..<n where p[i] != Float(size * (i % 97) + offset) { bad += 1 }
    }
    c.expect(bad == 0, "iallreduce overlapped with local work: \(bad) of \(n) elements wrong")
}

// MARK: communicators

private func checkSplit(_ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    // Even and odd ranks, ordered in reverse by key.
    let sub = try comm.split(color: rank % 2, key: -rank)
    guard let sub else {
        c.expect(false, "split with a color returned nil")
        return
    }
    let peers = (0..<size).filter { $0 % 2 == rank % 2 }
    c.expect(sub.size == peers.count, "split size \(sub.size) != \(peers.count)")
    c.expect(
        sub.rank == peers.reversed().firstIndex(of: rank),
        "split rank \(sub.rank) for world rank \(rank) (reverse key order)")
    let s = try sub.allreduce(Int64(rank), op: .sum)
    c.expect(
        s == Int64(peers.reduce(0, +)), "allreduce inside the \(rank % 2 == 0 ? "even" : "odd") communicator: \(s)")
    let order = try sub.allgather(Int32(rank))
    c.expect(order == peers.reversed().map(Int32.init), "allgather order inside split: \(order)")
    // A duplicate: same ranks, same order, its own message space (freed with its last copy).
    let dup = try sub.duplicate()
    c.expect(dup.size == sub.size && dup.rank == sub.rank, "duplicate keeps rank \(sub.rank) of \(sub.size)")
    c.expect(try dup.allgather(Int32(rank)) == order, "allgather order inside the duplicate")

    // Rank 0 opts out; the rest form one communicator.
    let rest = try comm.split(color: rank == 0 ? nil : 1, key: rank)
    if rank == 0 {
        c.expect(rest == nil, "split(color: nil) must return nil")
    } else if let rest {
        c.expect(rest.size == size - 1 && rest.rank == rank - 1, "split without rank 0: \(rest.rank)/\(rest.size)")
        c.expect(try rest.allreduce(Int32(1), op: .sum) == Int32(size - 1), "allreduce without rank 0")
    } else {
        c.expect(false, "split(color: 1) returned nil on rank \(rank)")
    }
}

/// Nobody leaves a barrier before every rank has entered it — checked as an order of events,
/// not a duration: rank 0 sleeps (so a barrier that lets ranks through early would show), then
/// creates a file and enters the barrier; every rank must find the file when it leaves.
/// (A file is visible to every process of this host as soon as it is created; the checks run
/// on one host.)
private func checkBarrier(_ c: Checks) throws {
    let comm = c.comm
    let path = try comm.broadcast(comm.isRoot ? "/tmp/multirank-barrier-\(getpid())-\(comm.wtime())" : "", root: 0)
    try comm.barrier()
    if comm.isRoot {
        usleep(200_000)
        guard let f = fopen(path, "w") else { throw MPIError.invalidArgument("cannot create \(path)") }
        fclose(f)
    }
    try comm.barrier()
    c.expect(access(path, F_OK) == 0, "barrier released rank \(comm.rank) before rank 0 arrived (\(path) missing)")
    try comm.barrier()
    if comm.isRoot { unlink(path) }
}

private func checkLargeAllreduce(_ c: Checks) throws {
    let comm = c.comm
    let size = comm.size
    let rank = comm.rank
    let n = 4 << 20
    var big = [Float](repeating: 0, count: n)
    big.withUnsafeMutableBufferPointer { p in for i in 0..<n { p[i] = Float(i % 1000 + rank) } }
    try comm.allreduce(inPlace: &big, op: .sum)
    let offset = size * (size - 1) / 2
    var bad = 0
    big.withUnsafeBufferPointer { p in for i in 0..<n where p[i] != Float(size * (i % 1000) + offset) { bad += 1 } }
    c.expect(bad == 0, "4M-float in-place allreduce: \(bad) elements wrong")

    let maxed = try comm.allreduce(
        big.withUnsafeBufferPointer { Array($0[0..<1024]) }.map { $0 + Float(rank) }, op: .max)
    c.expect(
        maxed.enumerated().allSatisfy { $0.element == Float(size * ($0.offset % 1000) + offset + size - 1) },
        "out-of-place max after the large allreduce")
}

/// The collectives with counts beyond the `int` limit (lowered to 5 elements here): through
/// the library's MPI-4 `_c` calls where it has them, and chunked (also with them turned off),
/// every result equals the ordinary calls' (the same checks as above, rerun).
private func checkLargeCountPaths(_ c: Checks) throws {
    let saved = (LargeCounts.maximumCount, LargeCounts.useLibraryCalls)
    defer { (LargeCounts.maximumCount, LargeCounts.useLibraryCalls) = saved }
    LargeCounts.maximumCount = 5
    for library in LargeCounts.libraryHasThem ? [true, false] : [false] {
        LargeCounts.useLibraryCalls = library
        for t in [Float.self, Int64.self, UInt8.self] as [any MPICheckScalar.Type] {
            try checkAllreduce(t, c)
            try checkGathers(t, c)
            try checkReduceScatter(t, c)
            try checkBroadcast(t, c)
        }
        try checkBroadcastString(c)
        // The reusing forms, with a layout whose total exceeds the limit.
        let comm = c.comm
        let counts = (0..<comm.size).map { 2 * $0 + 3 }
        let layout = try VectorLayout(counts: counts)
        var gathered: [Int32] = []
        let mineToGather = (0..<counts[comm.rank]).map { Int32(comm.rank * 100 + $0) }
        try comm.allgatherv(mineToGather, into: &gathered, layout: layout)
        let want = (0..<comm.size).flatMap { r in (0..<counts[r]).map { Int32(r * 100 + $0) } }
        c.expect(gathered == want, "allgatherv(into:layout:) large path (library \(library)): \(gathered) != \(want)")
        var mine: [Double] = []
        try comm.reduceScatter((0..<layout.total).map { Double($0 + comm.rank) }, into: &mine, layout: layout, op: .sum)
        let at = layout.displacement(comm.rank)
        let offset = comm.size * (comm.size - 1) / 2
        let wantMine = (0..<counts[comm.rank]).map { Double(comm.size * (at + $0) + offset) }
        c.expect(mine == wantMine, "reduceScatter(into:layout:) large path (library \(library)): \(mine)")
        // The nonblocking and persistent all-reduces (MPI_Iallreduce_c / MPI_Allreduce_init_c,
        // or one request per piece) and LibraryAllreduce over them: the same sums.
        let pieces = LargeCounts.requestCount(4099)
        c.expect(
            pieces == (library ? 1 : 820),
            "4099 elements with a limit of 5 take \(pieces) requests (library \(library))")
        try checkLibraryAllreduce(c)
    }
}

private func checkAgreement(_ c: Checks) throws {
    let comm = c.comm
    c.expect(try comm.anyTrue(comm.rank == comm.size - 1), "anyTrue with only the last rank true")
    c.expect(try !comm.anyTrue(false), "anyTrue with every rank false")
}

/// Whether `body` throws MPIError.invalidArgument.
func throwsInvalidArgument(_ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch let MPIError.invalidArgument(text) { return !text.isEmpty } catch { return false }
}

/// Rank 1 (or 0 alone) aborts while the others wait in a barrier: every rank must be gone
/// within seconds and mpirun must exit non-zero. Never returns normally on success.
/// With a directory argument (`abort DIR`), each rank first writes its pid to `DIR/rank-R.pid`
/// so the test can check afterwards that no rank survived.
func abortCheck(_ comm: Communicator) throws -> Int32 {
    let args = CommandLine.arguments
    if args.count >= 3 {
        let path = "\(args[2])/rank-\(comm.rank).pid"
        guard let f = fopen(path, "w") else {
            comm.abort(code: 4, message: "cannot write \(path)")
        }
        fputs("\(getpid())\n", f)
        fclose(f)
        try comm.barrier()  // every pid is on disk before anyone aborts
    }
    if comm.rank == min(1, comm.size - 1) {
        comm.abort(code: 3, message: "deliberate abort from the abort check")
    }
    try comm.barrier()
    return 0
}
