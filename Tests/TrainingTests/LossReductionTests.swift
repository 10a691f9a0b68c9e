// `loss.reduction`: the multi-modal loss of a signal-noise run is Huang et al.'s sum of both
// directions (eq. 9) by default. At the paper's Figure-1 setting (the default config) the
// step-0 loss is ≈ 2·ln(1 + M) — the similarities are near 0 at initialization, so each
// direction of anchor i costs ≈ ln(1 + M_i) with M_i opposite-label negatives — and exactly
// twice the loss under `mean`. The other models keep CLIP's mean; `sum`/`mean` with one
// direction (`loss.symmetric = false`) is refused.
import Foundation
import InfoMax
import MPI
import RunRecords
import XCTest

@testable import Training

final class LossReductionTests: XCTestCase {
    /// The global loss of step 0 of `config`'s multi-modal run.
    func stepZeroLoss(_ config: TrainConfig, comm: Communicator) throws -> (loss: Double, problem: SignalNoiseProblem) {
        try config.validate(ranks: comm.size)
        let problem = try makeProblem(config: config, mode: .multiModal, comm: comm)
        let sn = try XCTUnwrap(problem as? SignalNoiseProblem)
        let trainer = Trainer(config: config, mode: .multiModal, problem: problem, comm: comm)
        var state = trainer.initialState()
        var timing = StepTiming()
        return (try trainer.computeGradient(&state, timing: &timing), sn)
    }

    func testFigureOneStepZeroLossIsTwiceLnOnePlusM() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        let paper = TrainConfig()  // the paper's Figure-1 setting: d 2000, n 100, m 50, τ 0.1, σ₀ 0.01
        XCTAssertEqual(paper.model, .signalNoise)
        XCTAssertEqual(paper.loss.reduction, .auto)
        XCTAssertEqual(paper.loss.reduction.reduction(labelledByDefault: true), .sum)
        let (summed, sn) = try stepZeroLoss(paper, comm: comm)
        XCTAssertEqual(sn.loss.loss.reduction, .sum, "auto is the paper's sum for signal-noise")

        // 2 · mean_i ln(1 + M_i), M_i the samples of the other label.
        var labels: [Float] = []
        try sn.data.fillLabels(0..<paper.trainSamples, into: &labels)
        let positives = labels.filter { $0 > 0 }.count
        let negatives = labels.count - positives
        let expected =
            2 * labels.map { log(1 + Double($0 > 0 ? negatives : positives)) }.reduce(0, +) / Double(labels.count)
        XCTAssertEqual(expected, 2 * log(51.0), accuracy: 0.1, "M ≈ 50 opposite-label negatives")
        XCTAssertEqual(summed, expected, accuracy: 0.02 * expected, "step-0 loss ≈ 2 ln(1 + M) ≈ 7.9")
        XCTAssertGreaterThan(summed, 7.5)

        var mean = paper
        mean.loss.reduction = .mean
        let (averaged, msn) = try stepZeroLoss(mean, comm: comm)
        XCTAssertEqual(msn.loss.loss.reduction, .mean)
        XCTAssertEqual(summed, 2 * averaged, "sum = 2 · mean, exactly")
    }

    func testOtherModelsKeepTheMeanAndOneDirectionRefusesAReduction() throws {
        XCTAssertEqual(LossReductionChoice.auto.reduction(labelledByDefault: false), .mean)
        XCTAssertEqual(LossReductionChoice.sum.reduction(labelledByDefault: false), .sum)
        XCTAssertEqual(LossReductionChoice.mean.reduction(labelledByDefault: true), .mean)
        var c = TrainConfig()
        c.loss.symmetric = false
        XCTAssertNoThrow(try c.validate(ranks: 1), "auto with one direction: nothing to combine, accepted")
        for reduction in [LossReductionChoice.sum, .mean] {
            c.loss.reduction = reduction
            XCTAssertThrowsError(try c.validate(ranks: 1)) { error in
                XCTAssertTrue("\(error)".contains(ConfigKey.lossReduction.path), "\(error)")
            }
        }
        c.loss.symmetric = true
        c.mode = .singleModal
        XCTAssertNoThrow(try c.validate(ranks: 1), "single-modal ignores the key (compare mode shares the config)")
    }
}
