// ExchangeChecks — the trainer's GradientExchange over several ranks, with each all-reduce
// (gradient.allreduce ring, mpi with the final part blocking or not): the gradient delivered in
// encoder parts (one reduction per part, or parts below the overlap minimum joined into the
// next part's) sums exactly like MPI_Allreduce on integer-valued data, whichever way the parts
// are grouped; the stop request of any one rank reaches every rank; the reductions are reused
// step after step; a step that delivers other parts, or too few elements, is refused on every
// rank. On non-integer data `mpi` equals `ring` within float rounding (bit for bit at 1 and 2
// ranks) and every rank holds the same bits.
import MPI
import Training

/// The all-reduce choices the checks run: (name, choice, blockingFinalPart).
private let exchangeVariants: [(String, GradientAllreduce, Bool)] = [
    ("ring", .ring, true), ("mpi", .mpi, true), ("mpi nonblocking final", .mpi, false),
]

func exchangeChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "exchange")
    for (name, allreduce, blocking) in exchangeVariants {
        try checkExchangeParts(c, comm, name, allreduce, blocking)
    }
    try checkLibraryAgainstRing(c, comm)
    return c.finish()
}

private func checkExchangeParts(
    _ c: Checks, _ comm: Communicator, _ name: String, _ allreduce: GradientAllreduce, _ blocking: Bool
) throws {
    let parts = [10, 7, 5]
    let n = parts.reduce(0, +)
    // overlapMinimum 1: three rings; 11: 10 + 7 wait for each other (17), then 5; 1000: one ring.
    for minimum in [1, 11, 1000] {
        let exchange = GradientExchange(
            communicator: comm, parameterCount: n, allreduce: allreduce, overlapMinimum: minimum,
            blockingFinalPart: blocking)
        for step in 0..<3 {
            let stopper = step == 1 ? comm.size - 1 : -1
            exchange.begin()
            exchange.requestStop = comm.rank == stopper
            let mine = (0..<n).map { Float(($0 * 7 + comm.rank * 3 + step) % 11) - 5 }
            var at = 0
            for count in parts {
                try mine[at..<(at + count)].withUnsafeBufferPointer { try exchange.deliver($0) }
                at += count
            }
            try exchange.finish()
            let expected = try comm.allreduce(mine, op: .sum)
            let got = exchange.withSum { Array($0) }
            c.expect(
                got == expected,
                "\(name) minimum \(minimum) step \(step): the summed gradient \(got) is MPI_Allreduce's \(expected)")
            c.expect(
                exchange.stopRequested == (stopper >= 0),
                "\(name) minimum \(minimum) step \(step): stop requested \(exchange.stopRequested)")
            let norm = expected.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            c.expectClose(
                exchange.sumNorm, norm, rtol: 1e-6, atol: 1e-9, "\(name) minimum \(minimum) step \(step): sumNorm")
        }
        // Other parts than the first steps' (with more than one ring): refused, the same on every rank.
        if minimum < 1000 {
            exchange.begin()
            let whole = [Float](repeating: 1, count: n)
            var refused = false
            do { try exchange.deliver(whole) } catch { refused = true }
            c.expect(
                refused, "\(name) minimum \(minimum): delivering the gradient as one part after \(parts) is refused")
        }
        // Fewer elements than the parameters: finish() refuses (after completing the rings started).
        let short = GradientExchange(
            communicator: comm, parameterCount: n, allreduce: allreduce, overlapMinimum: minimum,
            blockingFinalPart: blocking)
        short.begin()
        try [Float](repeating: 1, count: 10).withUnsafeBufferPointer { try short.deliver($0) }
        var incomplete = false
        do { try short.finish() } catch { incomplete = true }
        c.expect(incomplete, "\(name) minimum \(minimum): finish() after 10 of \(n) elements is refused")
    }
}

/// A gradient of non-integer floats (two encoder parts, the first large enough to overlap)
/// summed by `mpi` and by `ring`: the same bits on every rank for each; equal to each other
/// within float rounding — |mpi − ring| ≤ 2 (P − 1) ε Σ_r |g_r| per element, the bound of two
/// summation orders of P terms — and bit for bit at 1 and 2 ranks (one addition, commutative).
private func checkLibraryAgainstRing(_ c: Checks, _ comm: Communicator) throws {
    let parts = [3000, 1001]
    let n = parts.reduce(0, +)
    let p = comm.size
    var sums: [GradientAllreduce: [Float]] = [:]
    let mine = (0..<n).map { i -> Float in
        let x = Float((i * 7919 + comm.rank * 104_729) % 65_521) / 65_521
        return (x - 0.5) * Float(1 + (i + comm.rank) % 5) * 1e-3
    }
    for allreduce in [GradientAllreduce.ring, .mpi] {
        let exchange = GradientExchange(
            communicator: comm, parameterCount: n, allreduce: allreduce, overlapMinimum: 1000)
        for _ in 0..<2 {  // the second step reuses the reductions
            exchange.begin()
            var at = 0
            for count in parts {
                try mine[at..<(at + count)].withUnsafeBufferPointer { try exchange.deliver($0) }
                at += count
            }
            try exchange.finish()
        }
        let sum = exchange.withSum { Array($0) }
        let fromRankZero = try comm.broadcast(sum, root: 0)
        c.expect(sum == fromRankZero, "\(allreduce): every rank holds rank 0's bits")
        sums[allreduce] = sum
    }
    let magnitude = try comm.allreduce(mine.map { Double(abs($0)) }, op: .sum)
    let ring = sums[.ring] ?? []
    let library = sums[.mpi] ?? []
    var worst = 0.0
    var beyond = 0
    for i in 0..<n {
        let difference = abs(Double(library[i]) - Double(ring[i]))
        let bound = 2 * Double(max(p - 1, 0)) * Double(Float.ulpOfOne) * magnitude[i]
        if difference > bound { beyond += 1 }
        if magnitude[i] > 0 { worst = max(worst, difference / magnitude[i]) }
    }
    c.expect(beyond == 0, "mpi vs ring at \(p) ranks: \(beyond) of \(n) elements beyond 2(P−1)ε Σ|g| (worst \(worst))")
    if p <= 2 { c.expect(library == ring, "mpi and ring sum bit for bit at \(p) ranks") }
}
