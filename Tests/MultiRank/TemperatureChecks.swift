// TemperatureChecks — InfoNCE's learned temperature distributed (suite "temperature"): every
// rank builds the same global batch and takes its uneven slice (one split leaves a rank
// empty); after setTemperature the distributed loss (both exchanges, every plan the planner
// picks: one direction with candidates second or first, and the symmetric call) gives the
// one-process loss, and the ranks' shares of ∂L/∂θ, θ = log(1/τ), summed, give the one-process
// value — dot similarity with the 1/m scale, all / opposite-label negatives, stop-gradient or not.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import TestSupport

func temperatureChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "temperature")
    let B = 19
    let k = 6
    var rng = SplitMix64(seed: 20_261_206)
    func matrix() -> Matrix<Double> { Matrix(rows: B, cols: k) { _, _ in rng.gaussian() } }
    let h = matrix()
    let g = matrix()
    let labels = (0..<B).map { ($0 * 5) % 3 }
    let tau = Double.exp(-0.3)

    var variants: [ContrastiveLoss] = []
    for neg in NegativeSet.allCases {
        for sg in [false, true] {
            variants.append(
                ContrastiveLoss(
                    objective: .infoNCE, similarity: .dot, scale: 0.5, temperature: tau, negatives: neg,
                    stopGradient: sg))
        }
    }

    func check<T: BLASScalar & MPIScalar>(
        _ loss: ContrastiveLoss, _ type: T.Type, exchange: CandidateExchange, counts: [Int], tol: Double
    ) throws {
        let off = counts[..<comm.rank].reduce(0, +)
        let n = counts[comm.rank]
        let mine = off..<(off + n)
        let what = "\(T.self) \(exchange) \(loss.negatives)/sg=\(loss.stopGradient) counts \(counts)"
        // Built with τ = 1, then set: the update reaches the plans.
        var first = loss
        first.temperature = 1
        let dist = try DistributedContrastiveLoss<T>(communicator: comm, loss: first, exchange: exchange)
        try dist.setTemperature(loss.temperature)
        let lh = h.rows(mine).converted(to: T.self)
        let lg = g.rows(mine).converted(to: T.self)
        let ll = Array(labels[mine])
        func summed(_ share: Double) throws -> Double { try comm.allreduce([share], op: .sum)[0] }

        for candidatesFirst in [false, true] {
            let form = candidatesFirst ? "candidates first" : "candidates second"
            let ref = try loss.evaluate(anchors: h, positives: g, candidates: candidatesFirst ? h : g, labels: labels)
            let r = try dist.evaluate(anchors: lh, positives: lg, candidates: candidatesFirst ? lh : lg, labels: ll)
            c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) \(form) loss")
            let want = TemperatureGradient.direction(dA: ref.dA, anchors: h)
            let got = try summed(TemperatureGradient.direction(dA: r.dA, anchors: lh))
            c.expectClose(got, want, rtol: tol, atol: tol * 1e-2, "\(what) \(form) dθ")
        }
        let refSym = try loss.evaluateSymmetric(h, g, labels: labels)
        let s = try dist.evaluateSymmetric(lh, lg, labels: ll)
        c.expectClose(Double(s.value), refSym.value, rtol: tol, atol: tol * 1e-2, "\(what) symmetric loss")
        let want = TemperatureGradient.symmetric(
            dFirst: refSym.dFirst, h, dSecond: refSym.dSecond, g, stopGradient: loss.stopGradient)
        let got = try summed(
            TemperatureGradient.symmetric(dFirst: s.dFirst, lh, dSecond: s.dSecond, lg, stopGradient: loss.stopGradient)
        )
        c.expectClose(got, want, rtol: tol, atol: tol * 1e-2, "\(what) symmetric dθ (\(dist.symmetricKind))")
    }

    for counts in splits(B, comm.size) {
        for loss in variants {
            for exchange in CandidateExchange.allCases {
                try check(loss, Double.self, exchange: exchange, counts: counts, tol: 1e-10)
                try check(loss, Float.self, exchange: exchange, counts: counts, tol: 1e-5)
            }
        }
    }
    return c.finish()
}
