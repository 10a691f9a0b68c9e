// E2 (Ren & Li) in Double (LatentLinearPrecisionRun, Examples/E2Double): the one-process
// reimplementation of E2's InfoNCE training refuses other settings, starts from the same
// condition number and loss in Float and in Double, agrees between them over the first steps
// (stage 1, where the positives align the views), and in Float reproduces the trainer's own
// run (its loss and condition number after a short run).
import Foundation
import InfoMax
import Linalg
import MPI
import XCTest

@testable import Training

final class E2DoublePrecisionTests: XCTestCase {
    static var e2Config: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("jobs/configs/e2-condition.json").path
    }

    func testFloatAndDoubleAgreeOverStageOne() throws {
        _ = try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        // E2's setting on a smaller batch (debug builds are slow): n = 200, 12 steps.
        let config = try ConfigLoader.load(file: Self.e2Config, overrides: ["train_samples=200"])
        let single = try LatentLinearPrecisionRun.train(Float.self, config: config, steps: 12, every: 4, comm: comm)
        let double = try LatentLinearPrecisionRun.train(Double.self, config: config, steps: 12, every: 4, comm: comm)
        XCTAssertEqual(single.map(\.step), [0, 4, 8, 12])
        XCTAssertEqual(double.map(\.step), [0, 4, 8, 12])
        for (s, d) in zip(single, double) {
            XCTAssertEqual(s.conditionNumber, d.conditionNumber, accuracy: 1e-4 * d.conditionNumber, "step \(s.step)")
            XCTAssertEqual(s.loss, d.loss, accuracy: 1e-5 * abs(d.loss), "step \(s.step)")
        }
        XCTAssertGreaterThan(double[3].conditionNumber, 10 * double[0].conditionNumber, "stage 1 rises")
        XCTAssertLessThan(double[3].loss, double[0].loss, "the loss falls")
        // Other settings are refused: momentum, a schedule, another model.
        for bad in [["optimizer.momentum=0.9"], ["optimizer.schedule=cosine"], ["model=cooccurrence"]] {
            let c = try ConfigLoader.load(file: Self.e2Config, overrides: ["train_samples=50"] + bad)
            XCTAssertThrowsError(
                try LatentLinearPrecisionRun.train(Float.self, config: c, steps: 1, every: 1, comm: comm), "\(bad)")
        }
    }

    /// The Float reimplementation is the trainer's run: the same loss and condition number
    /// after the last step of a short E2 run trained by `Trainer` itself.
    func testFloatReimplementationMatchesTheTrainersRun() throws {
        _ = try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { return }
        let config = try ConfigLoader.load(file: Self.e2Config, overrides: ["train_samples=200", "steps=8"])
        let mine = try LatentLinearPrecisionRun.train(Float.self, config: config, steps: 8, every: 4, comm: comm)
        try config.validate(ranks: comm.size)
        let problem = try makeProblem(config: config, mode: .multiModal, comm: comm)
        let summary = try Trainer(config: config, mode: .multiModal, problem: problem, comm: comm).run()
        let last = try XCTUnwrap(mine.last)
        XCTAssertEqual(last.step, 8)
        let loss = try XCTUnwrap(summary.finalLoss)
        let cond = try XCTUnwrap(summary.conditionNumber)
        XCTAssertEqual(last.loss, loss, accuracy: 1e-6 * abs(loss), "loss after 8 steps")
        XCTAssertEqual(last.conditionNumber, cond, accuracy: 1e-5 * cond, "condition number after 8 steps")
    }
}
