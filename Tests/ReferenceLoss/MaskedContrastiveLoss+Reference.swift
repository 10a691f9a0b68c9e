// ReferenceLoss/MaskedContrastiveLoss+Reference.swift — the test oracle of the masked (guided)
// loss: the same loss as ``MaskedContrastiveLoss`` from explicit loops on the whole batch, in
// Double. The tests and `multirank-checks` compare the masked plan against it.
import Linalg

@testable import InfoMax

extension MaskedContrastiveLoss {
    /// The one-process oracle: the same loss from explicit loops on the whole batch (A, C: B × k).
    public static func reference(
        _ loss: ContrastiveLoss, anchors a: Matrix<T>, candidates c: Matrix<T>,
        targets: AnchorTargets
    ) -> (value: Double, dA: Matrix<T>, dC: Matrix<T>) {
        let B = a.rows
        let k = a.cols
        let an = RowNormalizer(a, cosine: loss.similarity == .cosine)
        let cn = RowNormalizer(c, cosine: loss.similarity == .cosine)
        let ah = an.normalized
        let ch = cn.normalized
        let g = loss.scale / loss.temperature
        func logit(_ i: Int, _ j: Int) -> Double {
            (0..<k).reduce(0.0) { $0 + Double(ah[i, $1]) * Double(ch[j, $1]) } * g
        }
        func negatives(_ i: Int) -> [Int] {
            let out = Set(targets.excluded[targets.offsets[i]..<targets.offsets[i + 1]]).union([targets.positives[i]])
            return (0..<B).filter { !out.contains($0) }
        }
        let pairs = Double((0..<B).reduce(0) { $0 + negatives($1).count })
        var dl = [[Double]](repeating: [Double](repeating: 0, count: B), count: B)
        var value = 0.0
        for i in 0..<B {
            let p = targets.positives[i]
            let lp = logit(i, p)
            let neg = negatives(i)
            if targets.dropsPositive(i) {
                // No positive term: InfoNCE and positive-only drop the row, spectral keeps its negatives.
                guard loss.objective == .spectral else { continue }
                for j in neg {
                    let l = logit(i, j)
                    value += l * l / pairs
                    dl[i][j] = 2 * l / pairs
                }
                continue
            }
            switch loss.objective {
            case .sigmoid:
                let vp = lp + loss.bias
                value += SigmoidLossMath.softplus(-vp) / Double(B)
                dl[i][p] = -SigmoidLossMath.sigmoid(-vp) / Double(B)
                for j in neg {
                    let v = logit(i, j) + loss.bias
                    value += SigmoidLossMath.softplus(v) / Double(B)
                    dl[i][j] = SigmoidLossMath.sigmoid(v) / Double(B)
                }
            case .positiveOnly:
                value -= lp / Double(B)
                dl[i][p] = -1 / Double(B)
            case .spectral:
                value -= 2 * lp / Double(B)
                dl[i][p] = -2 / Double(B)
                for j in neg {
                    let l = logit(i, j)
                    value += l * l / pairs
                    dl[i][j] = 2 * l / pairs
                }
            case .infoNCE:
                let mx = neg.reduce(lp) { m, j in Swift.max(m, logit(i, j)) }
                let sum = neg.reduce(Double.exp(lp - mx)) { $0 + Double.exp(logit(i, $1) - mx) }
                let z = mx + Double.log(sum)
                value += (z - lp) / Double(B)
                dl[i][p] = (Double.exp(lp - z) - 1) / Double(B)
                for j in neg { dl[i][j] = Double.exp(logit(i, j) - z) / Double(B) }
            }
        }
        var dAh = Matrix<T>(rows: B, cols: k)
        var dCh = Matrix<T>(rows: B, cols: k)
        for i in 0..<B {
            for j in 0..<B where dl[i][j] != 0 {
                for t in 0..<k {
                    dAh[i, t] += T(g * dl[i][j] * Double(ch[j, t]))
                    dCh[j, t] += T(g * dl[i][j] * Double(ah[i, t]))
                }
            }
        }
        let dC = loss.stopGradient ? Matrix<T>(rows: B, cols: k) : cn.backward(dCh)
        return (value, an.backward(dAh), dC)
    }
}
