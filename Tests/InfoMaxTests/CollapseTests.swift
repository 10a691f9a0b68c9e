// Ren & Li's observation on a tiny problem: two linear encoders of two noisy views of an
// anisotropic 2-d latent, trained by gradient descent. With positive pairs alone the learned
// representation collapses onto the dominant latent direction (its condition number blows
// up); the full InfoNCE loss, whose negatives spread the representation, keeps it balanced.
import InfoMax
import Linalg
import ReferenceLoss
import XCTest

final class CollapseTests: XCTestCase {
    /// Trains (W1, W2) with `loss` (symmetric) and returns the condition number of the
    /// representation Z W1ᵀ of the latent at a few checkpoints.
    func conditionTrajectory(_ loss: ContrastiveLoss, steps: Int, lr: Double) throws -> [Double] {
        var rng = TestRNG(seed: 2024)
        let n = 32
        let z = Matrix<Double>(rows: n, cols: 2) { _, j in (j == 0 ? 1.0 : 0.5) * rng.gaussian() }
        let x = z + rng.matrix(n, 2, scale: 0.05)
        let xt = z + rng.matrix(n, 2, scale: 0.05)
        var e1 = try LinearEncoder<Double>(weights: rng.matrix(2, 2, scale: 0.5))
        var e2 = try LinearEncoder<Double>(weights: rng.matrix(2, 2, scale: 0.5))
        var cache = EncoderCache<Double>()
        var h = Matrix<Double>(rows: 0, cols: 0)
        var g = Matrix<Double>(rows: 0, cols: 0)
        var conds: [Double] = []
        for step in 0...steps {
            if step % (steps / 4) == 0 { conds.append(try conditionNumber(try e1(z))) }
            if step == steps { break }
            try e1.forward(x, into: &h, cache: &cache)
            try e2.forward(xt, into: &g, cache: &cache)
            let r = try loss.evaluateSymmetric(h, g)
            var g1 = e1.zeroGradient()
            var g2 = e2.zeroGradient()
            try e1.backward(x, outputGradient: r.dFirst, cache: &cache, accumulatingInto: &g1)
            try e2.backward(xt, outputGradient: r.dSecond, cache: &cache, accumulatingInto: &g2)
            axpy(-lr, g1, &e1.weights)
            axpy(-lr, g2, &e2.weights)
        }
        return conds
    }

    func testPositiveOnlyCollapsesInfoNCEDoesNot() throws {
        let positive = try conditionTrajectory(ContrastiveLoss(objective: .positiveOnly), steps: 100, lr: 0.3)
        let full = try conditionTrajectory(ContrastiveLoss(objective: .infoNCE, temperature: 1), steps: 100, lr: 0.3)
        print("condition number, positive-only:", positive)
        print("condition number, InfoNCE:      ", full)
        // Positive-only: the smallest singular value vanishes relative to the largest, steadily.
        for (before, after) in zip(positive, positive.dropFirst()) { XCTAssertGreaterThan(after, 5 * before) }
        XCTAssertGreaterThan(positive.last!, 1e4)
        // InfoNCE: Ren & Li's two stages on this seed — the condition number first rises while
        // positives align the views, then the negatives bring it down to a balanced representation
        // (better conditioned than at initialisation, and than the latent's own ratio of 2).
        XCTAssertGreaterThan(full.max()!, 10 * full.first!)
        XCTAssertLessThan(full.last!, 1.6)
        XCTAssertLessThan(full.last!, full.first!)
    }
}
