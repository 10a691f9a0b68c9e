// GuidedChecks — the guided recipe (Zhang et al.'s AddNewPositive and negative drops) over a
// global batch split across ranks: every rank builds the SAME batch and guide embeddings from
// a fixed seed, takes its uneven slice (one split leaves a rank with no rows), lets the guide
// choose its anchors' neighbours and drops, and runs MaskedContrastiveLoss. The choices must
// equal those made on the whole batch, and the loss and gradient rows the one-process
// reference (Double to 1e-10, Float to 1e-5), whatever the rank count. InfoNCE's learned
// temperature: after setTemperature the ranks' shares of ∂L/∂θ, θ = log(1/τ), summed, give the
// one-process value (Euler's identity on the reference's dot form; cosine on normalised rows);
// the sigmoid form's shares of ∂L/∂(log t) (the same identity) and ∂L/∂b (central differences).
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import TestSupport

func guidedChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "guided")
    let batch = GuidedBatch(seed: 20_261_128)
    let (B, a, cand) = (batch.B, batch.a, batch.cand)
    // Guide rows from 9 "tokens": rows sharing a token have identical embeddings (exact ties).
    let keys = (0..<B).map { ($0 * 5) % 9 }
    let guide = batch.guideRows(keys)
    let splits = batch.shardSplits(comm.size)

    for drop in NegativeDrop.allCases {
        let fraction = drop == .easyNegatives ? 0.1 : 0.2
        let whole = try GuideSelection.select(
            guide: guide, keys: keys, localRows: 0..<B, drop: drop, fraction: fraction)
        let plainAll = AnchorTargets(positives: Array(0..<B), offsets: whole.dropOffsets, excluded: whole.dropped)
        let guidedAll = AnchorTargets(positives: whole.neighbours, offsets: whole.dropOffsets, excluded: whole.dropped)
        c.expect(
            whole.neighbours.enumerated().allSatisfy { i, n in n != i && keys[n] != keys[i] },
            "\(drop): a neighbour is never the row or its token")
        for counts in splits {
            let off = counts[..<comm.rank].reduce(0, +)
            let mine = off..<(off + counts[comm.rank])
            let local = try GuideSelection.select(
                guide: guide, keys: keys, localRows: mine, drop: drop, fraction: fraction)
            c.expect(
                local.neighbours == Array(whole.neighbours[mine]), "\(drop) counts \(counts): neighbours of the slice")
            c.expect(
                mine.indices.allSatisfy { Array(local.drops(ofRow: $0 - off)) == Array(whole.drops(ofRow: $0)) },
                "\(drop) counts \(counts): drops of the slice")
            for (name, all, targets) in [
                (
                    "plain", plainAll,
                    AnchorTargets(positives: Array(mine), offsets: local.dropOffsets, excluded: local.dropped)
                ),
                (
                    "guided", guidedAll,
                    AnchorTargets(positives: local.neighbours, offsets: local.dropOffsets, excluded: local.dropped)
                ),
            ] {
                for loss in [
                    ContrastiveLoss(objective: .infoNCE, similarity: .cosine, temperature: 0.1),
                    ContrastiveLoss(objective: .spectral, similarity: .dot, scale: 0.5),
                    ContrastiveLoss(objective: .positiveOnly, similarity: .cosine, temperature: 0.5),
                    ContrastiveLoss(
                        objective: .infoNCE, similarity: .dot, scale: 0.3, temperature: 0.5, stopGradient: true),
                    ContrastiveLoss.sigmoid(scale: 3, bias: -1, similarity: .cosine),
                    ContrastiveLoss.sigmoid(scale: 2, bias: 0.5, similarity: .dot, stopGradient: true),
                ] {
                    let ref = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: cand, targets: all)
                    let what =
                        "\(drop) \(name) \(loss.objective)/\(loss.similarity)/sg=\(loss.stopGradient) counts \(counts)"
                    func run<T: BLASScalar & MPIScalar>(
                        _: T.Type, tol: Double, block: Int, reduceScatter: LossReduceScatter
                    ) throws {
                        let dist = try MaskedContrastiveLoss<T>(
                            communicator: comm, loss: loss, blockElements: block, reduceScatter: reduceScatter)
                        var r = ContrastiveResult<T>()
                        try dist.evaluate(
                            anchors: a.rows(mine).converted(to: T.self),
                            candidates: cand.rows(mine).converted(to: T.self),
                            targets: targets, into: &r)
                        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) loss")
                        let dA = r.dA.converted(to: Double.self)
                        let dC = r.dC.converted(to: Double.self)
                        let refA = ref.dA.rows(mine)
                        let refC = ref.dC.rows(mine)
                        c.expect(
                            mine.isEmpty || maxRelative(dA, refA) < tol,
                            "\(what) \(T.self) dA rows \(maxRelative(dA, refA))")
                        c.expect(
                            mine.isEmpty || maxRelative(dC, refC) < tol || (loss.stopGradient && dC.maxAbs == 0),
                            "\(what) \(T.self) dC rows \(maxRelative(dC, refC))")
                    }
                    // Both reduce-scatters of the candidates' gradient: the project's ring, the library's.
                    try run(Double.self, tol: 1e-10, block: 17, reduceScatter: .ring)
                    try run(Float.self, tol: 1e-5, block: 1 << 22, reduceScatter: .mpi)
                }
            }
        }
    }
    try falsePositiveChecks(comm, c)

    try guidedTemperatureChecks(c, comm, a, cand, guide: guide, keys: keys)
    return c.finish()
}

/// The learned temperature of the guided loss at uneven and empty shards (`splits`).
private func guidedTemperatureChecks(
    _ c: Checks, _ comm: Communicator, _ a: Matrix<Double>, _ cand: Matrix<Double>, guide: Matrix<Float>,
    keys: [Int]
) throws {
    let B = a.rows
    let theta = 0.3
    var ah = Matrix<Double>(rows: 0, cols: 0)
    var ch = Matrix<Double>(rows: 0, cols: 0)
    var na: [Double] = []
    var nc: [Double] = []
    normalizeRows(a, into: &ah, norms: &na)
    normalizeRows(cand, into: &ch, norms: &nc)
    let whole = try GuideSelection.select(
        guide: guide, keys: keys, localRows: 0..<B, drop: .falseNegatives, fraction: 0.2)
    for counts in splits(B, comm.size) {
        let off = counts[..<comm.rank].reduce(0, +)
        let mine = off..<(off + counts[comm.rank])
        let local = try GuideSelection.select(
            guide: guide, keys: keys, localRows: mine, drop: .falseNegatives, fraction: 0.2)
        let pairs = [
            (
                AnchorTargets(positives: Array(0..<B), offsets: whole.dropOffsets, excluded: whole.dropped),
                AnchorTargets(positives: Array(mine), offsets: local.dropOffsets, excluded: local.dropped)
            ),
            (
                AnchorTargets(positives: whole.neighbours, offsets: whole.dropOffsets, excluded: whole.dropped),
                AnchorTargets(positives: local.neighbours, offsets: local.dropOffsets, excluded: local.dropped)
            ),
        ]
        for sim in SimilarityKind.allCases {
            for sg in [false, true] {
                let loss = ContrastiveLoss(
                    objective: .infoNCE, similarity: sim, scale: 0.5, temperature: Double.exp(-theta),
                    stopGradient: sg)
                var dot = loss
                dot.similarity = .dot
                let (ea, ec) = sim == .cosine ? (ah, ch) : (a, cand)
                for (n, (all, targets)) in pairs.enumerated() {
                    try sigmoidParameterChecks(
                        c, comm, a, cand, sim: sim, sg: sg, all: all, targets: targets, mine: mine)
                    let ref = MaskedContrastiveLoss<Double>.reference(loss, anchors: a, candidates: cand, targets: all)
                    let want = TemperatureGradient.direction(
                        dA: MaskedContrastiveLoss<Double>.reference(dot, anchors: ea, candidates: ec, targets: all).dA,
                        anchors: ea)
                    let what = "learned τ \(n == 0 ? "plain" : "guided") \(sim)/sg=\(sg) counts \(counts)"
                    func run<T: BLASScalar & MPIScalar>(_: T.Type, tol: Double) throws {
                        var first = loss
                        first.temperature = 1
                        let dist = try MaskedContrastiveLoss<T>(communicator: comm, loss: first, blockElements: 11)
                        try dist.setTemperature(loss.temperature)
                        var r = ContrastiveResult<T>()
                        try dist.evaluate(
                            anchors: a.rows(mine).converted(to: T.self),
                            candidates: cand.rows(mine).converted(to: T.self), targets: targets, into: &r)
                        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) loss")
                        let got = try comm.allreduce([dist.thetaGradientShare], op: .sum)[0]
                        c.expectClose(got, want, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) dθ")
                    }
                    try run(Double.self, tol: 1e-10)
                    try run(Float.self, tol: 1e-5)
                }
            }
        }
    }
}

/// The guided sigmoid loss's learned log t and b: the ranks' shares summed against the
/// one-process values (log t: Euler's identity on the dot form; b: central differences).
private func sigmoidParameterChecks(
    _ c: Checks, _ comm: Communicator, _ a: Matrix<Double>, _ cand: Matrix<Double>, sim: SimilarityKind, sg: Bool,
    all: AnchorTargets, targets: AnchorTargets, mine: Range<Int>
) throws {
    let t = 2.5
    let bias = -0.8
    func loss(_ s: SimilarityKind, bias: Double) -> ContrastiveLoss {
        var l = ContrastiveLoss.sigmoid(scale: t, bias: bias, similarity: s, stopGradient: sg)
        l.scale = 0.5
        return l
    }
    func value(_ l: ContrastiveLoss) -> Double {
        MaskedContrastiveLoss<Double>.reference(l, anchors: a, candidates: cand, targets: all).value
    }
    var ea = Matrix<Double>(rows: 0, cols: 0)
    var ec = Matrix<Double>(rows: 0, cols: 0)
    var norms: [Double] = []
    if sim == .cosine {
        normalizeRows(a, into: &ea, norms: &norms)
        normalizeRows(cand, into: &ec, norms: &norms)
    } else {
        ea = a
        ec = cand
    }
    let wantT = TemperatureGradient.direction(
        dA: MaskedContrastiveLoss<Double>.reference(loss(.dot, bias: bias), anchors: ea, candidates: ec, targets: all)
            .dA, anchors: ea)
    let e = 1e-6
    let wantB = (value(loss(sim, bias: bias + e)) - value(loss(sim, bias: bias - e))) / (2 * e)
    let what = "sigmoid \(sim)/sg=\(sg) rows \(mine)"
    func run<T: BLASScalar & MPIScalar>(_: T.Type, tol: Double) throws {
        // Built at t = 10, b = −10 (SigLIP's start), then set: the update reaches the plan.
        var first = loss(sim, bias: -10)
        first.temperature = 0.1
        let d = try MaskedContrastiveLoss<T>(communicator: comm, loss: first, blockElements: 13)
        try d.setSigmoidParameters(scale: t, bias: bias)
        var r = ContrastiveResult<T>()
        try d.evaluate(
            anchors: a.rows(mine).converted(to: T.self), candidates: cand.rows(mine).converted(to: T.self),
            targets: targets, into: &r)
        c.expectClose(
            Double(r.value), value(loss(sim, bias: bias)), rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) loss")
        let sums = try comm.allreduce([d.thetaGradientShare, d.biasGradientShare], op: .sum)
        c.expectClose(sums[0], wantT, rtol: tol, atol: tol * 1e-2, "\(what) \(T.self) ∂L/∂log t")
        c.expectClose(sums[1], wantB, rtol: max(tol, 1e-7), atol: 1e-8, "\(what) \(T.self) ∂L/∂b")
    }
    try run(Double.self, tol: 1e-10)
    try run(Float.self, tol: 1e-5)
}

/// max |x − y| / max(max |y|, 1e-30).
private func maxRelative(_ x: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard x.rows == y.rows, x.cols == y.cols else { return .infinity }
    var d = 0.0
    for i in x.storage.indices { d = max(d, abs(x.storage[i] - y.storage[i])) }
    return d / max(y.maxAbs, 1e-30)
}
