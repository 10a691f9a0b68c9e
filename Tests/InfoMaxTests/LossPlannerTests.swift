// LossPlannerTests — the one decision of the distributed loss's plan, and the GEMM FLOPs each
// plan reports (the counts `infomax bench` divides by): b = 4 of B = 8 rows, k = 3, so one
// b × B × k gemm is 192 FLOPs.
@testable import InfoMax
import MPI
import XCTest

final class LossPlannerTests: XCTestCase {
    let pair = 192.0

    func testThePlannerDecidesOnce() {
        let clip = ContrastiveLoss.clip(temperature: 0.1), paper = ContrastiveLoss.paper(neurons: 4)
        XCTAssertEqual(LossPlanner.kind(of: clip, exchange: .allgather, symmetric: true), .fusedAllgather)
        XCTAssertEqual(LossPlanner.kind(of: paper, exchange: .allgather, symmetric: true), .groupedAllgather)
        XCTAssertEqual(LossPlanner.kind(of: clip, exchange: .ring, symmetric: true), .ring)
        XCTAssertEqual(LossPlanner.kind(of: paper, exchange: .ring, symmetric: false), .groupedRing)
        XCTAssertEqual(LossPlanner.kind(of: clip, exchange: .allgather, symmetric: false), .allgather)
        let spectral = ContrastiveLoss(objective: .spectral, similarity: .dot, scale: 0.5)
        XCTAssertEqual(LossPlanner.kind(of: spectral, exchange: .allgather, symmetric: true), .allgather)
        XCTAssertEqual(LossPlanner.kind(of: ContrastiveLoss(objective: .positiveOnly), exchange: .ring,
                                        symmetric: true), .allgather)
    }

    func testEachPlanReportsItsGemmFlops() throws {
        func flops(_ loss: ContrastiveLoss, _ exchange: CandidateExchange, symmetric: Bool, plan: LossPlanKind? = nil,
                   hold: Int = LossPlanner.holdElements) throws -> (executed: Double, unfused: Double) {
            try MPIEnvironment.initialize()
            let comm = try Communicator.world()
            let d = try DistributedContrastiveLoss<Float>(communicator: comm, loss: loss, exchange: exchange,
                                                          holdElements: hold, plan: plan)
            return d.gemmFlops(localRows: 4, globalRows: 8, width: 3, symmetric: symmetric)
        }
        let infoNCE = ContrastiveLoss(objective: .infoNCE, stopGradient: false)
        // One direction: logits, dA, dC (no stop-gradient), and the ring's second logits.
        XCTAssertTrue(try flops(infoNCE, .allgather, symmetric: false) == (3 * pair, 3 * pair))
        XCTAssertTrue(try flops(infoNCE, .ring, symmetric: false) == (4 * pair, 4 * pair))
        // Fused all-gather: three gemms with the logits held, four without; unfused six.
        XCTAssertTrue(try flops(infoNCE, .allgather, symmetric: true) == (3 * pair, 6 * pair))
        XCTAssertTrue(try flops(infoNCE, .allgather, symmetric: true, hold: 0) == (4 * pair, 6 * pair))
        // The ring runs each direction on its own unless the fused ring is asked for.
        XCTAssertTrue(try flops(infoNCE, .ring, symmetric: true) == (8 * pair, 8 * pair))
        XCTAssertTrue(try flops(infoNCE, .ring, symmetric: true, plan: .fusedRing) == (4 * pair, 8 * pair))
        XCTAssertTrue(try flops(infoNCE, .allgather, symmetric: true, plan: .allgather) == (6 * pair, 6 * pair))
        XCTAssertTrue(try flops(ContrastiveLoss(objective: .positiveOnly), .allgather, symmetric: true) == (0, 0))
        let spectral = ContrastiveLoss(objective: .spectral, stopGradient: true)
        XCTAssertTrue(try flops(spectral, .ring, symmetric: true) == (4 * pair, 4 * pair))
        // Before any call a grouped plan counts every pair.
        XCTAssertTrue(try flops(.paper(neurons: 4), .allgather, symmetric: true) == (3 * pair, 4 * pair))
    }
}
