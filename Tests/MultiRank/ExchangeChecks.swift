// ExchangeChecks — the trainer's GradientExchange over several ranks: the gradient delivered in
// encoder parts (one ring per part, or parts below the overlap minimum joined into the next
// part's ring) sums exactly like MPI_Allreduce on integer-valued data, whichever way the parts
// are grouped; the stop request of any one rank reaches every rank; the rings are reused step
// after step; a step that delivers other parts, or too few elements, is refused on every rank.
import MPI
import Training

func exchangeChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "exchange")
    let parts = [10, 7, 5]
    let n = parts.reduce(0, +)
    // overlapMinimum 1: three rings; 11: 10 + 7 wait for each other (17), then 5; 1000: one ring.
    for minimum in [1, 11, 1000] {
        let exchange = GradientExchange(communicator: comm, parameterCount: n, overlapMinimum: minimum)
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
                "minimum \(minimum) step \(step): the summed gradient \(got) is MPI_Allreduce's \(expected)")
            c.expect(
                exchange.stopRequested == (stopper >= 0),
                "minimum \(minimum) step \(step): stop requested \(exchange.stopRequested)")
            let norm = expected.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            c.expectClose(exchange.sumNorm, norm, rtol: 1e-6, atol: 1e-9, "minimum \(minimum) step \(step): sumNorm")
        }
        // Other parts than the first steps' (with more than one ring): refused, the same on every rank.
        if minimum < 1000 {
            exchange.begin()
            let whole = [Float](repeating: 1, count: n)
            var refused = false
            do { try exchange.deliver(whole) } catch { refused = true }
            c.expect(refused, "minimum \(minimum): delivering the gradient as one part after \(parts) is refused")
        }
        // Fewer elements than the parameters: finish() refuses (after completing the rings started).
        let short = GradientExchange(communicator: comm, parameterCount: n, overlapMinimum: minimum)
        short.begin()
        try [Float](repeating: 1, count: 10).withUnsafeBufferPointer { try short.deliver($0) }
        var incomplete = false
        do { try short.finish() } catch { incomplete = true }
        c.expect(incomplete, "minimum \(minimum): finish() after 10 of \(n) elements is refused")
    }
    return c.finish()
}
