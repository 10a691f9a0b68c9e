// SymmetricReductionTests — the summed symmetric loss (Huang et al.'s eq. 9, `.sum`) of the
// distributed façade: exactly twice the mean in value and gradients under every symmetric plan,
// its gradient against central differences of the summed directions, and, with the paper's
// stop-gradient, each embedding's gradient equal to its own direction's full gradient (eq. 10).
import InfoMax
import Linalg
import MPI
import ReferenceLoss
import XCTest

final class SymmetricReductionTests: XCTestCase {
    let B = 8, k = 5
    let labels = [1, 0, 1, 1, 0, 0, 1, 0]

    private func world() throws -> Communicator {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { throw XCTSkip("run outside mpirun") }
        return comm
    }

    /// The paper's loss (dot, 1/m, opposite-label negatives) with or without stop-gradient, and CLIP's.
    private var losses: [(String, ContrastiveLoss)] {
        var noStop = ContrastiveLoss.paper(neurons: 4, temperature: 0.5)
        noStop.stopGradient = false
        return [
            ("paper", .paper(neurons: 4, temperature: 0.5)), ("paper/no-sg", noStop),
            ("clip", .clip(temperature: 0.5)), ("sigmoid", .sigmoid(scale: 2, bias: -1)),
        ]
    }

    func testSumIsExactlyTwiceTheMeanUnderEveryPlan() throws {
        let comm = try world()
        var rng = TestRNG(seed: 91)
        let h: Matrix<Double> = rng.matrix(B, k)
        let g: Matrix<Double> = rng.matrix(B, k)
        for (name, loss) in losses {
            for exchange in CandidateExchange.allCases {
                // The sigmoid objective has its own plans; the others also run one direction at a time.
                for plan in loss.objective == .sigmoid ? [nil] : [nil, LossPlanKind.allgather] {
                    let mean = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss, exchange: exchange, plan: plan)
                    let sum = try DistributedContrastiveLoss<Double>(
                        communicator: comm, loss: loss, exchange: exchange, plan: plan, reduction: .sum)
                    XCTAssertEqual(mean.reduction, .mean, "the façade's default is CLIP's mean")
                    let m = try mean.evaluateSymmetric(h, g, labels: labels)
                    let s = try sum.evaluateSymmetric(h, g, labels: labels)
                    let what = "\(name)/\(exchange)/\(sum.symmetricKind)"
                    XCTAssertEqual(s.value, 2 * m.value, what)
                    XCTAssertEqual(s.dFirst.storage, m.dFirst.storage.map { 2 * $0 }, "\(what) dh")
                    XCTAssertEqual(s.dSecond.storage, m.dSecond.storage.map { 2 * $0 }, "\(what) dg")
                    XCTAssertEqual(s.dLogitScale, 2 * m.dLogitScale, "\(what) ∂L/∂t")
                    XCTAssertEqual(s.dBias, 2 * m.dBias, "\(what) ∂L/∂b")
                }
            }
        }
    }

    func testSummedGradientAgainstFiniteDifferences() throws {
        let comm = try world()
        var rng = TestRNG(seed: 92)
        let h: Matrix<Double> = rng.matrix(B, k)
        let g: Matrix<Double> = rng.matrix(B, k)
        for (name, loss) in losses {
            let sum = try DistributedContrastiveLoss<Double>(communicator: comm, loss: loss, reduction: .sum)
            let r = try sum.evaluateSymmetric(h, g, labels: labels)
            if loss.stopGradient {
                // Stop-gradient: ∂/∂h is L(h→g)'s own gradient in h, at full scale (eq. 10), and
                // ∂/∂g is L(g→h)'s in g — not halved as under the mean.
                let forward = { (a: Matrix<Double>) in
                    try loss.evaluate(anchors: a, positives: g, candidates: g, labels: self.labels).value
                }
                let backward = { (a: Matrix<Double>) in
                    try loss.evaluate(anchors: a, positives: h, candidates: h, labels: self.labels).value
                }
                assertGradient(r.dFirst, try numericGradient(h, forward), "\(name) sum dh")
                assertGradient(r.dSecond, try numericGradient(g, backward), "\(name) sum dg")
                let directions = try forward(h) + backward(g)
                XCTAssertEqual(r.value, directions, accuracy: 1e-12 * abs(directions), "\(name): L(h→g) + L(g→h)")
            } else {
                let nh = try numericGradient(h) { try sum.evaluateSymmetric($0, g, labels: self.labels).value }
                let ng = try numericGradient(g) { try sum.evaluateSymmetric(h, $0, labels: self.labels).value }
                assertGradient(r.dFirst, nh, "\(name) sum dh")
                assertGradient(r.dSecond, ng, "\(name) sum dg")
            }
        }
    }
}
