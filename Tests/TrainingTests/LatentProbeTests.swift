// Tests/TrainingTests/LatentProbeTests.swift — the latent-linear model's two downstream probes:
// the same-view probe already scores well for an untrained encoder (a random projection of a
// low-noise view keeps every latent direction), the cross-view probe (fitted on f1's features,
// scored on f2's) is at chance until training aligns the two encoders.
import MPI
import Training
import XCTest

final class LatentProbeTests: XCTestCase {
    /// A small E2-like setting: r = 4 latent directions, two 16-dimensional views, width 8.
    private func config(probe: LatentProbe, steps: Int) -> TrainConfig {
        var c = TrainConfig()
        c.model = .latentLinear
        c.mode = .multiModal
        c.seed = 1
        c.steps = steps
        c.trainSamples = 100
        c.probeTrainSamples = 200
        c.testSamples = 200
        c.logEvery = steps
        c.optimizer.learningRate = 0.1
        c.loss.kind = .infonce
        c.loss.similarity = .cosine
        c.loss.negatives = .all
        c.loss.stopGradient = false
        c.loss.temperature = 0.1
        c.encoder.width = 8
        c.encoder.initScale = 0.01
        c.latentLinear.latentDim = 4
        c.latentLinear.d1 = 16
        c.latentLinear.d2 = 16
        c.latentLinear.probe = probe
        return c
    }

    private func testAccuracy(probe: LatentProbe, steps: Int) throws -> Double {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        let c = config(probe: probe, steps: steps)
        try c.validate(ranks: comm.size)
        let problem = try makeProblem(config: c, mode: .multiModal, comm: comm)
        let summary = try Trainer(config: c, mode: .multiModal, problem: problem, comm: comm).run()
        return try XCTUnwrap(summary.testAccuracy)
    }

    func testUntrainedEncodersScoreWellOnTheSameViewAndAtChanceAcrossViews() throws {
        XCTAssertGreaterThan(try testAccuracy(probe: .sameView, steps: 1), 0.85)
        XCTAssertEqual(try testAccuracy(probe: .crossView, steps: 1), 0.5, accuracy: 0.1)
    }

    func testTrainingAlignsTheViewsForTheCrossViewProbe() throws {
        // Seed 1 measured: 0.65 after 40 steps, 0.845 after 80 (release build, same config).
        XCTAssertGreaterThan(try testAccuracy(probe: .crossView, steps: 80), 0.75)
    }

    func testTheProbeIsNotPartOfTheCheckpointFingerprint() throws {
        // What is measured, not what is trained: a run resumes with the other probe.
        XCTAssertEqual(
            try config(probe: .sameView, steps: 5).fingerprint(mode: .multiModal),
            try config(probe: .crossView, steps: 5).fingerprint(mode: .multiModal))
    }

    func testTheProbeKeyIsReadFromAConfig() throws {
        let c = try ConfigLoader.load(
            file: nil, overrides: ["model=\"latent-linear\"", "latent_linear.probe=\"cross-view\""])
        XCTAssertEqual(c.latentLinear.probe, .crossView)
        XCTAssertEqual(TrainConfig().latentLinear.probe, .sameView, "the default keeps E2's same-view probe")
    }
}
