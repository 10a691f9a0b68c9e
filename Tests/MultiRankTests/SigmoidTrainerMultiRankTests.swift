// End-to-end tests of `infomax train` with the sigmoid loss under mpirun: with t and b learned,
// the same seed gives the same trajectory (t and b included) at 1, 2 and 3 ranks, over either
// exchange; an elastic resume at another rank count carries the learned t and b on.
import Foundation
import XCTest

extension TrainerMultiRankTests {
    /// The sigmoid loss with t and b learned (SigLIP's form: cosine similarity).
    static let sigmoid = [
        "--set", "loss.kind=sigmoid", "--set", "loss.learn_scale=true", "--set", "loss.learn_bias=true",
        "--set", "loss.similarity=cosine", "--set", "loss.sigmoid_scale=5", "--set", "loss.sigmoid_bias=-2",
    ]

    func testSigmoidTrajectoryWithLearnedScaleAndBiasIsTheSameAt1To3Ranks() throws {
        var folders: [URL] = []
        for n in 1...3 {
            let out = scratch.appendingPathComponent("sigmoid\(n)")
            let exchange = n == 2 ? "ring" : "allgather"
            let o = try train(
                ranks: n,
                Self.small + Self.sigmoid + [
                    "--mode", "compare", "--steps", "12", "--set", "loss.exchange=\(exchange)", "--output", out.path,
                ])
            XCTAssertEqual(o.status, 0, o.output)
            folders.append(out)
        }
        for mode in ["multi-modal", "single-modal"] {
            let ref = folders[0].appendingPathComponent("points/\(mode)/metrics.csv")
            for f in folders.dropFirst() {
                try assertSameTrajectory(ref, f.appendingPathComponent("points/\(mode)/metrics.csv"))
            }
            let csv = try readCSV(ref)
            let scale = (csv["sigmoid_scale"] ?? []).compactMap { Double($0) }
            let bias = (csv["sigmoid_bias"] ?? []).compactMap { Double($0) }
            XCTAssertEqual(scale.first, 5, "\(mode): t starts at loss.sigmoid_scale")
            XCTAssertEqual(bias.first, -2, "\(mode): b starts at loss.sigmoid_bias")
            XCTAssertNotEqual(scale.last, 5, "\(mode): t is learned")
            XCTAssertNotEqual(bias.last, -2, "\(mode): b is learned")
            let summary = try String(
                contentsOf: folders[2].appendingPathComponent("points/\(mode)/summary.json"), encoding: .utf8)
            XCTAssertTrue(summary.contains("sigmoid_scale") && summary.contains("sigmoid_bias"), summary)
        }
    }

    func testSigmoidElasticResumeCarriesTheLearnedScaleAndBias() throws {
        let args =
            Self.small + Self.sigmoid + [
                "--mode", "multi-modal", "--steps", "16", "--set", "batch_size=9", "--set", "optimizer.kind=adam",
                "--set", "optimizer.learning_rate=0.01", "--set", "log_every=1",
            ]
        let reference = scratch.appendingPathComponent("sigmoid-ref")
        let r = try train(ranks: 1, args + ["--output", reference.path])
        XCTAssertEqual(r.status, 0, r.output)
        let out = scratch.appendingPathComponent("sigmoid-2to3")
        let first = try train(ranks: 2, args + ["--output", out.path], environment: Self.stop(at: 7))
        XCTAssertEqual(first.status, 75, first.output)
        let second = try train(ranks: 3, args + ["--output", out.path, "--resume"])
        XCTAssertEqual(second.status, 0, second.output)
        try assertSameTrajectory(
            reference.appendingPathComponent("metrics.csv"), out.appendingPathComponent("metrics.csv"))
    }
}
