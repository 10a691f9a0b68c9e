// ReferenceLoss/ContrastiveLoss+Reference.swift — the test oracle of the distributed loss: the
// one-process loss of a whole batch and its gradients from the dense B × B logits with explicit
// loops. The tests and `multirank-checks` compare every plan of ``DistributedContrastiveLoss``
// against it; no production code calls it.
import Linalg

@testable import InfoMax

extension ContrastiveLoss {
    /// The loss of the whole batch (A, Pos, C all B × k, row-aligned) and its gradients;
    /// ``DistributedContrastiveLoss`` computes the same values blockwise at any number of ranks.
    public func evaluate<T: BLASScalar>(
        anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>, labels: [Int]? = nil
    ) throws -> ContrastiveResult<T> {
        try validate()
        let cc = needsCandidates ? c : Matrix<T>(rows: a.rows, cols: a.cols)
        try checkShapes(a, pos, cc, labels: labels, candidatesGlobal: true)
        let B = a.rows
        let k = a.cols
        let an = RowNormalizer(a, cosine: similarity == .cosine)
        let pn = RowNormalizer(pos, cosine: similarity == .cosine)
        let cn = RowNormalizer(cc, cosine: similarity == .cosine)
        let ah = an.normalized
        let ph = pn.normalized
        let ch = cn.normalized
        let g = T(scale / temperature)
        func logit(_ x: Matrix<T>, _ i: Int, _ y: Matrix<T>, _ j: Int) -> T {
            var s: T = 0
            for t in 0..<k { s += x[i, t] * y[j, t] }
            return g * s
        }
        func isNegative(_ i: Int, _ j: Int) -> Bool {
            switch negatives {
            case .allOthers: return j != i
            case .oppositeLabel: return labels![j] != labels![i]
            }
        }
        var dAh = Matrix<T>(rows: B, cols: k)
        var dPh = Matrix<T>(rows: B, cols: k)
        var dCh = Matrix<T>(rows: B, cols: k)
        // dl[i][j]: ∂L/∂ℓ_ij for negatives, dlPos[i]: ∂L/∂ℓ(a_i, pos_i).
        var dl = Matrix<T>(rows: B, cols: B)
        var dlPos = [T](repeating: 0, count: B)
        var loss: Double = 0
        var dScale = 0.0
        var dBias = 0.0
        let invB = 1 / T(B)
        switch objective {
        case .positiveOnly:
            for i in 0..<B {
                loss -= Double(logit(ah, i, ph, i))
                dlPos[i] = -invB
            }
            loss /= Double(B)
        case .infoNCE:
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                var ls: [(Int, T)] = []
                for j in 0..<B where isNegative(i, j) { ls.append((j, logit(ah, i, ch, j))) }
                let mx = ls.reduce(lp) { Swift.max($0, $1.1) }
                var sum = T.exp(lp - mx)
                for (_, l) in ls { sum += T.exp(l - mx) }
                let lse = mx + T.log(sum)
                loss += Double(lse - lp)
                dlPos[i] = (T.exp(lp - lse) - 1) * invB
                for (j, l) in ls { dl[i, j] = T.exp(l - lse) * invB }
            }
            loss /= Double(B)
        case .sigmoid:
            // ℓ = t·S; per pair u = z(ℓ + β): loss softplus(−u), ∂L/∂ℓ = −(z/B)·σ(−u) (SigmoidLossMath).
            let beta = T(bias)
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                loss += Double(SigmoidLossMath.softplus(-(lp + beta)))
                dlPos[i] = -SigmoidLossMath.sigmoid(-(lp + beta)) * invB
                dBias += Double(dlPos[i])
                dScale += Double(dlPos[i] * lp)
                for j in 0..<B where isNegative(i, j) {
                    let l = logit(ah, i, ch, j)
                    loss += Double(SigmoidLossMath.softplus(l + beta))
                    dl[i, j] = SigmoidLossMath.sigmoid(l + beta) * invB
                    dBias += Double(dl[i, j])
                    dScale += Double(dl[i, j] * l)
                }
            }
            loss /= Double(B)
            dScale *= temperature  // ∂L/∂t = Σ ∂L/∂ℓ · ℓ/t
        case .spectral:
            var pairs = 0
            for i in 0..<B { for j in 0..<B where isNegative(i, j) { pairs += 1 } }
            for i in 0..<B {
                let lp = logit(ah, i, ph, i)
                loss -= 2 * Double(lp) / Double(B)
                dlPos[i] = -2 * invB
                for j in 0..<B where isNegative(i, j) {
                    let l = logit(ah, i, ch, j)
                    loss += Double(l * l) / Double(pairs)
                    dl[i, j] = 2 * l / T(pairs)
                }
            }
        }
        for i in 0..<B {
            for t in 0..<k {
                dAh[i, t] += g * dlPos[i] * ph[i, t]
                dPh[i, t] += g * dlPos[i] * ah[i, t]
            }
            for j in 0..<B where dl[i, j] != 0 {
                for t in 0..<k {
                    dAh[i, t] += g * dl[i, j] * ch[j, t]
                    dCh[j, t] += g * dl[i, j] * ah[i, t]
                }
            }
        }
        let dA = an.backward(dAh)
        var dPos = pn.backward(dPh)
        var dC = cn.backward(dCh)
        if stopGradient {
            dPos = Matrix(rows: B, cols: k)
            dC = Matrix(rows: B, cols: k)
        }
        if !needsCandidates { dC = Matrix(rows: c.rows, cols: c.cols) }
        var result = ContrastiveResult(value: T(loss), dA: dA, dPos: dPos, dC: dC)
        result.dLogitScale = dScale
        result.dBias = dBias
        return result
    }

    /// The symmetric loss ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)] (multi-modal form;
    /// CLIP's loss with `.clip`), with ∂/∂h and ∂/∂g summed over both directions.
    public func evaluateSymmetric<T: BLASScalar>(_ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil) throws
        -> SymmetricContrastiveResult<T>
    {
        let r1 = try evaluate(anchors: h, positives: g, candidates: g, labels: labels)
        let r2 = try evaluate(anchors: g, positives: h, candidates: h, labels: labels)
        var result = SymmetricContrastiveResult<T>()
        combineSymmetric(r1, r2, into: &result)
        return result
    }
}
