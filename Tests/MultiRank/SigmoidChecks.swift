// SigmoidChecks — SigLIP's sigmoid loss distributed (suite "sigmoid"): every rank builds the
// same global batch, takes its uneven slice (one split leaves a rank empty), and both plans
// (all-gather and ring, large and tiny logit blocks) must give the one-process reference's
// loss, gradient rows, ∂L/∂t and ∂L/∂β — one direction and the symmetric (one-pass) call, in
// Double (1e-10) and Float (1e-5) — also after t and β change between calls.
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import TestSupport

func sigmoidChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "sigmoid")
    let B = 19
    let k = 6
    var rng = SplitMix64(seed: 20_261_205)
    func matrix() -> Matrix<Double> { Matrix(rows: B, cols: k) { _, _ in rng.gaussian() } }
    let a = matrix()
    let p = matrix()
    let cand = matrix()
    let labels = (0..<B).map { ($0 * 5) % 3 }

    var variants: [ContrastiveLoss] = []
    for sim in SimilarityKind.allCases {
        for neg in NegativeSet.allCases {
            for sg in [false, true] {
                var loss = ContrastiveLoss.sigmoid(
                    scale: 1.9, bias: -0.7, similarity: sim, negatives: neg, stopGradient: sg)
                loss.scale = sim == .dot ? 0.5 : 1
                variants.append(loss)
            }
        }
    }
    variants.append(.sigmoid())  // SigLIP's initialisation, t = 10, β = −10, cosine

    func check<T: BLASScalar & MPIScalar>(
        _ loss: ContrastiveLoss, _ type: T.Type, exchange: CandidateExchange, counts: [Int], tol: Double,
        block: Int
    ) throws {
        let off = counts[..<comm.rank].reduce(0, +)
        let n = counts[comm.rank]
        let mine = off..<(off + n)
        let what =
            "\(T.self) \(exchange) block \(block) \(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) t \(loss.logitScale) counts \(counts)"
        // Built with other t and β, then set to the loss's: the update reaches the plans.
        var first = loss
        first.temperature = 1
        first.bias = 3
        let dist = try DistributedContrastiveLoss<T>(
            communicator: comm, loss: first, exchange: exchange, blockElements: block)
        try dist.setSigmoidParameters(scale: loss.logitScale, bias: loss.bias)
        let la = a.rows(mine).converted(to: T.self)
        let lp = p.rows(mine).converted(to: T.self)
        let lc = cand.rows(mine).converted(to: T.self)
        let ll = Array(labels[mine])

        let ref = try loss.evaluate(anchors: a, positives: p, candidates: cand, labels: labels)
        let r = try dist.evaluate(anchors: la, positives: lp, candidates: lc, labels: ll)
        c.expectClose(Double(r.value), ref.value, rtol: tol, atol: tol * 1e-2, "\(what) loss")
        c.expectClose(r.dLogitScale, ref.dLogitScale, rtol: tol, atol: tol * 1e-2, "\(what) dt")
        c.expectClose(r.dBias, ref.dBias, rtol: tol, atol: tol * 1e-2, "\(what) dβ")
        let dA = relErr(r.dA.converted(to: Double.self), ref.dA.rows(mine))
        c.expect(n == 0 || dA < tol, "\(what) dA rows: \(dA)")
        if loss.stopGradient {
            c.expect(r.dPos.maxAbs == 0 && r.dC.maxAbs == 0, "\(what): stop-gradient leaves dPos, dC zero")
        } else {
            let dP = relErr(r.dPos.converted(to: Double.self), ref.dPos.rows(mine))
            let dC = relErr(r.dC.converted(to: Double.self), ref.dC.rows(mine))
            c.expect(n == 0 || (dP < tol && dC < tol), "\(what) dPos \(dP), dC \(dC) rows")
        }
        c.expect(r.dA.rows == n && r.dPos.rows == n && r.dC.rows == n, "\(what): result shapes")

        // The symmetric call: one pass, equal to ½ [L(h→g) + L(g→h)] of the reference.
        let refSym = try loss.evaluateSymmetric(a, p, labels: labels)
        let s = try dist.evaluateSymmetric(la, lp, labels: ll)
        c.expectClose(Double(s.value), refSym.value, rtol: tol, atol: tol * 1e-2, "\(what) symmetric loss")
        c.expectClose(s.dLogitScale, refSym.dLogitScale, rtol: tol, atol: tol * 1e-2, "\(what) symmetric dt")
        c.expectClose(s.dBias, refSym.dBias, rtol: tol, atol: tol * 1e-2, "\(what) symmetric dβ")
        let dh = relErr(s.dFirst.converted(to: Double.self), refSym.dFirst.rows(mine))
        let dg = relErr(s.dSecond.converted(to: Double.self), refSym.dSecond.rows(mine))
        c.expect(n == 0 || (dh < tol && dg < tol), "\(what) symmetric dh \(dh), dg \(dg) rows")
        var into = SymmetricContrastiveResult<T>()
        for _ in 0..<2 { try dist.evaluateSymmetric(la, lp, labels: ll, into: &into) }
        c.expect(
            into.value == s.value && into.dFirst == s.dFirst && into.dSecond == s.dSecond
                && into.dLogitScale == s.dLogitScale && into.dBias == s.dBias,
            "\(what): symmetric into: differs from the returning form")
    }

    for counts in splits(B, comm.size) {
        for loss in variants {
            for exchange in CandidateExchange.allCases {
                try check(loss, Double.self, exchange: exchange, counts: counts, tol: 1e-10, block: 1 << 22)
                try check(loss, Double.self, exchange: exchange, counts: counts, tol: 1e-10, block: 5)
                try check(loss, Float.self, exchange: exchange, counts: counts, tol: 1e-5, block: 1 << 22)
            }
        }
    }
    return c.finish()
}
