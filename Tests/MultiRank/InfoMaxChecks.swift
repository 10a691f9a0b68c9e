// InfoMaxChecks — the distributed contrastive losses against the one-process reference
// (owned by InfoMax). Every rank builds the SAME global batch from a fixed seed, takes its
// uneven slice (one split leaves a rank with no rows), runs DistributedContrastiveLoss with
// both candidate exchanges (all-gather and ring, large and tiny logit blocks; the all-gather
// with both reduce-scatters of the candidates' gradient, the MPI library's and the ring), and compares
// the loss and its own gradient rows with the reference computed on the whole batch (Double
// to ~1e-10, Float to 1e-5); the `into:` forms must equal the returning ones exactly, and
// the ring's byte count must be the volume its messages carry.
// Suite "infomax-focused" (`focused: true`) is the part of it that many ranks sharing few
// busy-polling cores can afford (Tests/ranks/run.sh, MPICH at 8 and 16 ranks): the same
// comparisons with the same tolerances (loss and gradient rows against the one-process
// reference) for three losses and the symmetric form, both exchanges, the skewed split and the
// one with an empty rank (Double; the symmetric form in Float); without the repeated into:
// calls and the plan, allocation and error-path sections.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

extension SplitMix64 {
    fileprivate mutating func matrix(_ rows: Int, _ cols: Int) -> Matrix<Double> {
        Matrix(rows: rows, cols: cols) { _, _ in gaussian() }
    }
}

/// ‖x − y‖_F / max(‖x‖_F, ‖y‖_F, floor).
func relErr(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard x.rows == y.rows, x.cols == y.cols else { return .infinity }
    var d = 0.0
    var nx = 0.0
    var ny = 0.0
    for i in x.storage.indices {
        d += (x.storage[i] - y.storage[i]) * (x.storage[i] - y.storage[i])
        nx += x.storage[i] * x.storage[i]
        ny += y.storage[i] * y.storage[i]
    }
    return d.squareRoot() / max(nx.squareRoot(), ny.squareRoot(), 1e-30)
}

/// Uneven splits of `total` over `size` ranks: ceil-sized blocks with a smaller last rank,
/// a skewed split (rank r gets a share ∝ r + 1; rank 0 may get very few), and (at 2 ranks or
/// more) a split in which one rank holds no rows (rank 0 at 2 ranks, rank 1 beyond).
func splits(_ total: Int, _ size: Int) -> [[Int]] {
    func ceilSplit(_ size: Int) -> [Int] {
        let q = (total + size - 1) / size
        return (0..<size).map { r in max(0, min(q, total - r * q)) }
    }
    let weights = (0..<size).map { $0 + 1 }
    let wsum = weights.reduce(0, +)
    var skew = weights.map { $0 * total / wsum }
    skew[size - 1] += total - skew.reduce(0, +)
    guard size > 1 else { return [ceilSplit(size), skew] }
    var empty = ceilSplit(size - 1)
    empty.insert(0, at: size == 2 ? 0 : 1)
    return [ceilSplit(size), skew, empty]
}

func infomaxChecks(_ comm: Communicator, focused: Bool = false) throws -> Int32 {
    let c = Checks(comm: comm, suite: focused ? "infomax-focused" : "infomax")
    let B = 23
    let k = 8
    var rng = SplitMix64(seed: 20_241_123)
    let a = rng.matrix(B, k)
    let p = rng.matrix(B, k)
    let cand = rng.matrix(B, k)
    let labels = (0..<B).map { ($0 * 7) % 3 == 0 ? 1 : -1 }

    func check<T: BLASScalar & MPIScalar>(
        _ loss: ContrastiveLoss, _ type: T.Type, exchange: CandidateExchange,
        counts: [Int], tol: Double, block: Int, reduceScatter: LossReduceScatter = .mpi
    ) throws {
        let ref = try loss.evaluate(anchors: a, positives: p, candidates: cand, labels: labels)
        let off = counts[..<comm.rank].reduce(0, +)
        let n = counts[comm.rank]
        let mine = off..<(off + n)
        let dist = try DistributedContrastiveLoss<T>(
            communicator: comm, loss: loss, exchange: exchange, blockElements: block, reduceScatter: reduceScatter)
        let la = a.rows(mine).converted(to: T.self)
        let lp = p.rows(mine).converted(to: T.self)
        let lc = cand.rows(mine).converted(to: T.self)
        let r = try dist.evaluate(anchors: la, positives: lp, candidates: lc, labels: Array(labels[mine]))
        let stats = dist.lastStats
        let what =
            "\(T.self) \(exchange) reduce-scatter \(reduceScatter) block \(block) \(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) counts \(counts)"
        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) loss")
        c.expect(
            relErr(r.dA.converted(to: Double.self), ref.dA.rows(mine)) < tol || n == 0,
            "\(what) dA rows: \(relErr(r.dA.converted(to: Double.self), ref.dA.rows(mine)))")
        c.expect(
            relErr(r.dPos.converted(to: Double.self), ref.dPos.rows(mine)) < tol || n == 0 || loss.stopGradient,
            "\(what) dPos rows: \(relErr(r.dPos.converted(to: Double.self), ref.dPos.rows(mine)))")
        c.expect(
            relErr(r.dC.converted(to: Double.self), ref.dC.rows(mine)) < tol || n == 0 || loss.stopGradient
                || loss.objective == .positiveOnly,
            "\(what) dC rows: \(relErr(r.dC.converted(to: Double.self), ref.dC.rows(mine)))")
        c.expect(r.dA.rows == n && r.dPos.rows == n && r.dC.rows == n, "\(what): result shapes")
        if loss.stopGradient {
            c.expect(r.dPos.maxAbs == 0 && r.dC.maxAbs == 0, "\(what): stop-gradient must leave dPos and dC zero")
        }
        if comm.size > 1 && loss.needsCandidates {
            c.expect(stats.bytesSent > 0 && stats.communicationSeconds >= 0, "\(what): stats \(stats)")
        }
        if exchange == .ring && loss.needsCandidates {
            // The ring's bytes are its real messages: maxb·k per hop and sweep, the gradient p hops.
            let p = comm.size
            let maxb = counts.max() ?? 0
            let elt = MemoryLayout<T>.stride
            let sweeps = loss.objective == .infoNCE ? 2 : 1
            // The loss share all-gather: one Double, three for sigmoid (with ∂L/∂t, ∂L/∂β).
            let shares = loss.objective == .sigmoid ? 3 : 1
            var expected = 4 * 8 * (p - 1) + shares * 8 * (p - 1) + sweeps * (p - 1) * maxb * k * elt
            if !loss.stopGradient && p > 1 { expected += p * maxb * k * elt }
            if loss.negatives == .oppositeLabel { expected += (p - 1) * maxb * 8 }
            c.expect(stats.bytesSent == expected, "\(what): ring bytes \(stats.bytesSent), expected \(expected)")
            c.expect(
                stats.overlappedSeconds >= 0 && stats.overlappedSeconds <= stats.computeSeconds + 1e-9,
                "\(what): overlap \(stats.overlappedSeconds) within compute \(stats.computeSeconds)")
        }
        // The into: form, called twice over a stale result, equals the returning form exactly.
        if focused { return }
        var into = ContrastiveResult<T>(
            value: 7, dA: Matrix(rows: 1, cols: 3, repeating: 5), dPos: Matrix(rows: 2, cols: 2, repeating: 5),
            dC: Matrix(rows: n, cols: k, repeating: 5))
        for _ in 0..<2 {
            try dist.evaluate(anchors: la, positives: lp, candidates: lc, labels: Array(labels[mine]), into: &into)
        }
        c.expect(
            into.value == r.value && into.dA == r.dA && into.dPos == r.dPos && into.dC == r.dC,
            "\(what): into: differs from the returning form")
    }

    let variants: [ContrastiveLoss] =
        ContrastiveObjective.allCases.flatMap { obj in
            SimilarityKind.allCases.flatMap { sim in
                NegativeSet.allCases.flatMap { neg in
                    [false, true].map { sg in
                        ContrastiveLoss(
                            objective: obj, similarity: sim, scale: 0.9, temperature: 0.6, negatives: neg,
                            stopGradient: sg)
                    }
                }
            }
        } + [ContrastiveLoss.paper(neurons: 4, temperature: 0.5), ContrastiveLoss.clip(temperature: 0.1)]
    if focused {
        // InfoNCE (both similarities, both negative sets) and the sigmoid loss (its own loss
        // shares), gradients reaching the candidates; the skewed split and the one with an
        // empty rank.
        let some = [
            ContrastiveLoss.clip(temperature: 0.1),
            ContrastiveLoss(
                objective: .infoNCE, similarity: .dot, scale: 0.9, temperature: 0.6, negatives: .oppositeLabel,
                stopGradient: false),
            ContrastiveLoss(objective: .sigmoid, similarity: .dot, scale: 0.9, temperature: 0.6, stopGradient: false),
        ]
        for counts in splits(B, comm.size).dropFirst() {
            for loss in some {
                for exchange in CandidateExchange.allCases {
                    try check(loss, Double.self, exchange: exchange, counts: counts, tol: 1e-10, block: 17)
                }
            }
        }
    }
    for counts in splits(B, comm.size) where !focused {
        for loss in variants {
            for exchange in CandidateExchange.allCases {
                try check(loss, Double.self, exchange: exchange, counts: counts, tol: 1e-10, block: 17)
                try check(loss, Float.self, exchange: exchange, counts: counts, tol: 1e-5, block: 1 << 22)
            }
            // The project's ring reduce-scatter of the candidates' gradient (the default above is
            // the MPI library's).
            try check(
                loss, Double.self, exchange: .allgather, counts: counts, tol: 1e-10, block: 17, reduceScatter: .ring)
            try check(
                loss, Float.self, exchange: .allgather, counts: counts, tol: 1e-5, block: 1 << 22, reduceScatter: .ring)
            // Logit blocks of one row (or less than one chunk row): the row-block loops.
            try check(loss, Double.self, exchange: .ring, counts: counts, tol: 1e-10, block: 3)
        }
    }

    // The ring grouped by label (the default for opposite-label negatives: every rank's rows
    // sorted by label, each chunk computed only against the other labels' rows) against its
    // masked form and the reference, with three labels (two column ranges per row run) and
    // tiny logit blocks; the pairs it computed are exactly the opposite-label ones.
    let ringLabels = (0..<B).map { ($0 * 5) % 3 - 1 }
    for counts in splits(B, comm.size) {
        let off = counts[..<comm.rank].reduce(0, +)
        let n = counts[comm.rank]
        let mine = off..<(off + n)
        for loss in variants
        where loss.needsCandidates && loss.negatives == .oppositeLabel && loss.objective != .sigmoid {
            let ref = try loss.evaluate(anchors: a, positives: p, candidates: cand, labels: ringLabels)
            var results: [ContrastiveResult<Double>] = []
            for grouped in [true, false] {
                let dist = try DistributedContrastiveLoss<Double>(
                    communicator: comm, loss: loss, exchange: .ring, blockElements: 5,
                    plan: grouped ? .groupedRing : .ring)
                let what =
                    "ring grouped=\(grouped) \(loss.objective)/\(loss.similarity)/sg=\(loss.stopGradient) counts \(counts)"
                let r = try dist.evaluate(
                    anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine),
                    labels: Array(ringLabels[mine]))
                c.expectClose(r.value, ref.value, rtol: 1e-10, atol: 1e-12, "\(what) loss")
                c.expect(
                    n == 0 || relErr(r.dA, ref.dA.rows(mine)) < 1e-10,
                    "\(what) dA rows: \(relErr(r.dA, ref.dA.rows(mine)))")
                c.expect(
                    n == 0 || loss.stopGradient || relErr(r.dPos, ref.dPos.rows(mine)) < 1e-10, "\(what) dPos rows")
                c.expect(n == 0 || loss.stopGradient || relErr(r.dC, ref.dC.rows(mine)) < 1e-10, "\(what) dC rows")
                let opposite = mine.reduce(0) { s, i in s + ringLabels.filter { $0 != ringLabels[i] }.count }
                let expected = grouped && n > 0 ? Double(opposite) / Double(n * B) : 1
                c.expect(
                    abs(dist.lastPairFraction - expected) < 1e-12,
                    "\(what): computed pair fraction \(dist.lastPairFraction), expected \(expected)")
                results.append(r)
            }
            c.expect(
                relErr(results[0].dA, results[1].dA) < 1e-12 || n == 0,
                "ring grouped and masked dA differ (\(loss.objective), \(counts))")
        }
    }

    // The symmetric (multi-modal) form: gradients of h and g rows, both exchanges, both forms.
    for counts in splits(B, comm.size).dropFirst(focused ? 1 : 0) {
        let off = counts[..<comm.rank].reduce(0, +)
        let mine = off..<(off + counts[comm.rank])
        for loss in [
            ContrastiveLoss.clip(temperature: 0.2), ContrastiveLoss(objective: .spectral, similarity: .dot, scale: 0.5),
        ] where !focused || loss.objective == .infoNCE {
            let ref = try loss.evaluateSymmetric(a, p)
            for exchange in CandidateExchange.allCases {
                let what = "symmetric \(loss.objective)/\(loss.similarity) \(exchange) counts \(counts)"
                let sym = try DistributedContrastiveLoss<Float>(
                    communicator: comm, loss: loss, exchange: exchange, blockElements: 40)
                let h = a.rows(mine).converted(to: Float.self)
                let g = p.rows(mine).converted(to: Float.self)
                let rs = try sym.evaluateSymmetric(h, g)
                c.expectClose(Double(rs.value), ref.value, rtol: 1e-5, "\(what) loss")
                c.expect(
                    mine.isEmpty || relErr(rs.dFirst.converted(to: Double.self), ref.dFirst.rows(mine)) < 1e-5,
                    "\(what) dh rows")
                c.expect(
                    mine.isEmpty || relErr(rs.dSecond.converted(to: Double.self), ref.dSecond.rows(mine)) < 1e-5,
                    "\(what) dg rows")
                if focused { continue }
                var into = SymmetricContrastiveResult<Float>()
                try sym.evaluateSymmetric(h, g, into: &into)
                try sym.evaluateSymmetric(h, g, into: &into)
                c.expect(
                    into.value == rs.value && into.dFirst == rs.dFirst && into.dSecond == rs.dSecond,
                    "\(what): into: differs")
            }
        }
    }
    if focused { return c.finish() }

    // The fused symmetric InfoNCE (both directions from one similarity matrix, all-gather):
    // every InfoNCE variant, labels included, against the one-process reference and against
    // the unfused path (one evaluate per direction), with the logits held between its two
    // passes or recomputed per row block, in Double (1e-10) and Float (1e-5).
    // Opposite-label negatives also with three labels, grouped by label (candidates sorted,
    // same-label pairs skipped) or masked.
    let labels3 = (0..<B).map { ($0 * 5) % 3 }
    for counts in splits(B, comm.size) {
        let off = counts[..<comm.rank].reduce(0, +)
        let mine = off..<(off + counts[comm.rank])
        for (labels, grouped) in [(labels, true), (labels, false), (labels3, true)] {
            let ll = Array(labels[mine])
            for loss in variants where loss.objective == .infoNCE && (grouped || loss.negatives == .oppositeLabel) {
                let ref = try loss.evaluateSymmetric(a, p, labels: labels)
                for (hold, reduceScatter) in [(0, LossReduceScatter.mpi), (1 << 24, .mpi), (0, .ring)] {
                    let what =
                        "fused symmetric \(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) hold \(hold) reduce-scatter \(reduceScatter) grouped \(grouped) labels \(Set(labels).count) counts \(counts)"
                    let plan: LossPlanKind =
                        grouped && loss.negatives == .oppositeLabel ? .groupedAllgather : .fusedAllgather
                    let fused = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss, exchange: .allgather, blockElements: 7,
                        holdElements: hold, plan: plan, reduceScatter: reduceScatter)
                    let unfused = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss, exchange: .allgather, blockElements: 7,
                        plan: .allgather)
                    let h = a.rows(mine)
                    let g = p.rows(mine)
                    let rf = try fused.evaluateSymmetric(h, g, labels: ll)
                    let ru = try unfused.evaluateSymmetric(h, g, labels: ll)
                    c.expectClose(rf.value, ref.value, rtol: 1e-10, atol: 1e-12, "\(what) loss")
                    c.expectClose(rf.value, ru.value, rtol: 1e-10, atol: 1e-12, "\(what) loss vs unfused")
                    c.expect(
                        mine.isEmpty || relErr(rf.dFirst, ref.dFirst.rows(mine)) < 1e-10,
                        "\(what) dh rows: \(relErr(rf.dFirst, ref.dFirst.rows(mine)))")
                    c.expect(
                        mine.isEmpty || relErr(rf.dSecond, ref.dSecond.rows(mine)) < 1e-10,
                        "\(what) dg rows: \(relErr(rf.dSecond, ref.dSecond.rows(mine)))")
                    c.expect(mine.isEmpty || relErr(rf.dFirst, ru.dFirst) < 1e-10, "\(what) dh vs unfused")
                    c.expect(mine.isEmpty || relErr(rf.dSecond, ru.dSecond) < 1e-10, "\(what) dg vs unfused")
                    c.expect(rf.dFirst.rows == mine.count && rf.dSecond.rows == mine.count, "\(what): result shapes")
                    if comm.size > 1 { c.expect(fused.lastStats.bytesSent > 0, "\(what): stats \(fused.lastStats)") }
                    let ff = try DistributedContrastiveLoss<Float>(
                        communicator: comm, loss: loss, exchange: .allgather, blockElements: 1 << 22,
                        holdElements: hold, plan: plan, reduceScatter: reduceScatter)
                    let rff = try ff.evaluateSymmetric(
                        h.converted(to: Float.self), g.converted(to: Float.self), labels: ll)
                    c.expectClose(Double(rff.value), ref.value, rtol: 1e-5, atol: 1e-7, "Float \(what) loss")
                    c.expect(
                        mine.isEmpty || relErr(rff.dFirst.converted(to: Double.self), ref.dFirst.rows(mine)) < 1e-5,
                        "Float \(what) dh rows")
                    c.expect(
                        mine.isEmpty || relErr(rff.dSecond.converted(to: Double.self), ref.dSecond.rows(mine)) < 1e-5,
                        "Float \(what) dg rows")
                    var into = SymmetricContrastiveResult<Double>()
                    try fused.evaluateSymmetric(h, g, labels: ll, into: &into)
                    try fused.evaluateSymmetric(h, g, labels: ll, into: &into)
                    c.expect(
                        into.value == rf.value && into.dFirst == rf.dFirst && into.dSecond == rf.dSecond,
                        "\(what): into: differs")
                }
            }
        }
    }
    // The fused ring against the one-process reference, labels included (the unlabelled
    // variants are checked above with clip).
    for counts in splits(B, comm.size) {
        let off = counts[..<comm.rank].reduce(0, +)
        let mine = off..<(off + counts[comm.rank])
        for loss in variants where loss.objective == .infoNCE {
            let ref = try loss.evaluateSymmetric(a, p, labels: labels)
            for block in [3, 1 << 22] {
                let what =
                    "fused symmetric ring \(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) block \(block) counts \(counts)"
                let ring = try DistributedContrastiveLoss<Double>(
                    communicator: comm, loss: loss, exchange: .ring, blockElements: block,
                    plan: .fusedRing)
                let r = try ring.evaluateSymmetric(a.rows(mine), p.rows(mine), labels: Array(labels[mine]))
                c.expectClose(r.value, ref.value, rtol: 1e-10, atol: 1e-12, "\(what) loss")
                c.expect(
                    mine.isEmpty || relErr(r.dFirst, ref.dFirst.rows(mine)) < 1e-10,
                    "\(what) dh rows: \(relErr(r.dFirst, ref.dFirst.rows(mine)))")
                c.expect(
                    mine.isEmpty || relErr(r.dSecond, ref.dSecond.rows(mine)) < 1e-10,
                    "\(what) dg rows: \(relErr(r.dSecond, ref.dSecond.rows(mine)))")
            }
        }
    }
    let counts = splits(B, comm.size)[0]
    let off = counts[..<comm.rank].reduce(0, +)
    let mine = off..<(off + counts[comm.rank])

    // Ranks that disagree on the exchange must all throw, not hang in mismatched messages.
    if comm.size > 1 {
        let mixed = try DistributedContrastiveLoss<Double>(
            communicator: comm, loss: ContrastiveLoss(),
            exchange: comm.rank == 0 ? .ring : .allgather)
        var threwMixed = false
        do { _ = try mixed.evaluate(anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine)) } catch
        { threwMixed = true }
        c.expect(threwMixed, "ranks with different exchanges must throw")
        let mixedReduce = try DistributedContrastiveLoss<Double>(
            communicator: comm, loss: ContrastiveLoss(stopGradient: false),
            reduceScatter: comm.rank == 0 ? .ring : .mpi)
        var threwMixedReduce = false
        do {
            _ = try mixedReduce.evaluate(anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine))
        } catch { threwMixedReduce = true }
        c.expect(threwMixedReduce, "ranks with different reduce-scatters must throw")
    }

    // With a malloc counter preloaded (see Tests/InfoMaxTests/RingExchangeTests.swift), the
    // into: forms allocate nothing after the first call. The count includes Open MPI's own
    // allocations: its tuned Allgatherv and Reduce_scatter (the all-gather exchange) allocate
    // temporaries on every call, and so does its Allgather at rank counts that are not a power
    // of two (Bruck). So zero is required of the ring at 1, 2, 4… ranks; otherwise the counts
    // are printed.
    if let symbol = dlsym(nil, "infomax_malloc_calls") {
        typealias Counter = @convention(c) () -> UInt64
        let calls = unsafeBitCast(symbol, to: Counter.self)
        let la = a.rows(mine).converted(to: Float.self)
        let lp = p.rows(mine).converted(to: Float.self)
        let lc = cand.rows(mine).converted(to: Float.self)
        let ll = Array(labels[mine])
        let powerOfTwo = comm.size & (comm.size - 1) == 0
        // The all-gather exchange with each reduce-scatter (the ring's reduce-scatter leaves only
        // the library's all-gathers), then the ring exchange.
        let forms: [(CandidateExchange, LossReduceScatter)] = [(.allgather, .mpi), (.allgather, .ring), (.ring, .mpi)]
        var most = [UInt64](repeating: 0, count: forms.count)
        for (f, (exchange, reduceScatter)) in forms.enumerated() {
            for loss in variants {
                let dist = try DistributedContrastiveLoss<Float>(
                    communicator: comm, loss: loss, exchange: exchange, blockElements: 40,
                    reduceScatter: reduceScatter)
                var r = ContrastiveResult<Float>()
                var s = SymmetricContrastiveResult<Float>()
                try dist.evaluate(anchors: la, positives: lp, candidates: lc, labels: ll, into: &r)
                try dist.evaluateSymmetric(la, lp, labels: ll, into: &s)
                let before = calls()
                try dist.evaluate(anchors: la, positives: lp, candidates: lc, labels: ll, into: &r)
                try dist.evaluateSymmetric(la, lp, labels: ll, into: &s)
                let n = calls() - before
                most[f] = max(most[f], n)
                if exchange == .ring && powerOfTwo {
                    c.expect(
                        n == 0,
                        "ring \(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient): \(n) allocations after warm-up"
                    )
                }
            }
        }
        let overRanks = try comm.allreduce(most.map { Int64($0) }, op: .max)
        if comm.isRoot {
            print(
                "infomax np=\(comm.size): allocations in 3 warm evaluations (most over variants and ranks, MPI included): "
                    + zip(forms, overRanks).map {
                        "\($0.0)" + ($0.0 == .allgather ? "+\($0.1) reduce-scatter" : "") + " \($1)"
                    }
                    .joined(separator: ", "))
        }
    }

    // One rank with bad input: every rank must throw (no rank left hanging in a collective).
    // The bad rank is the last one that holds rows: from 12 ranks on, the ceil split of B = 23
    // leaves the last ranks empty, and empty labels for no rows are valid input.
    let badRank = counts.lastIndex { $0 > 0 } ?? comm.size - 1
    for exchange in CandidateExchange.allCases {
        let bad = try DistributedContrastiveLoss<Double>(
            communicator: comm, loss: ContrastiveLoss(negatives: .oppositeLabel), exchange: exchange)
        var threw = false
        do {
            _ = try bad.evaluate(
                anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine),
                labels: comm.rank == badRank ? [] : Array(labels[mine]))
        } catch { threw = true }
        c.expect(
            threw || (comm.rank == badRank && mine.isEmpty),
            "\(exchange): a bad input on rank \(badRank) (the last with rows) must make every rank throw")
        // And the loss object still works afterwards (nothing left in flight).
        let r = try bad.evaluate(
            anchors: a.rows(mine), positives: p.rows(mine), candidates: cand.rows(mine), labels: Array(labels[mine]))
        let ref = try bad.loss.evaluate(anchors: a, positives: p, candidates: cand, labels: labels)
        c.expectClose(r.value, ref.value, rtol: 1e-10, "\(exchange): evaluation after a rejected call")
    }
    return c.finish()
}
