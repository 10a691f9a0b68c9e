// End-to-end tests of `infomax train` with InfoNCE's learned temperature under mpirun: the same
// seed gives the same trajectory (τ included) at 1, 2 and 3 ranks, over either exchange; an
// elastic resume at another rank count carries the learned τ on.
import Foundation
import XCTest

extension TrainerMultiRankTests {
    /// InfoNCE with θ = log(1/τ) learned, started at τ = 0.5 (dot similarity, the paper's form).
    static let learnedTemperature = [
        "--set", "loss.learn_temperature=true", "--set", "loss.temperature=0.5",
    ]

    func testLearnedTemperatureTrajectoryIsTheSameAt1To3Ranks() throws {
        var folders: [URL] = []
        for n in 1...3 {
            let out = scratch.appendingPathComponent("temperature\(n)")
            let exchange = n == 2 ? "ring" : "allgather"
            let o = try train(
                ranks: n,
                Self.small + Self.learnedTemperature + [
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
            let tau = (try readCSV(ref)["temperature"] ?? []).compactMap { Double($0) }
            XCTAssertEqual(tau.first, 0.5, "\(mode): τ starts at loss.temperature")
            XCTAssertNotEqual(tau.last, 0.5, "\(mode): τ is learned")
            let summary = try String(
                contentsOf: folders[2].appendingPathComponent("points/\(mode)/summary.json"), encoding: .utf8)
            XCTAssertTrue(summary.contains("\"temperature\""), summary)
        }
    }

    func testLearnedTemperatureWithCosineIsTheSameAt1To3Ranks() throws {
        var folders: [URL] = []
        for n in 1...3 {
            let out = scratch.appendingPathComponent("temperature-cosine\(n)")
            let o = try train(
                ranks: n,
                Self.small + Self.learnedTemperature + [
                    "--mode", "compare", "--steps", "12", "--set", "loss.similarity=cosine", "--output", out.path,
                ])
            XCTAssertEqual(o.status, 0, o.output)
            folders.append(out)
        }
        for mode in ["multi-modal", "single-modal"] {
            let ref = folders[0].appendingPathComponent("points/\(mode)/metrics.csv")
            for f in folders.dropFirst() {
                try assertSameTrajectory(ref, f.appendingPathComponent("points/\(mode)/metrics.csv"))
            }
            let tau = (try readCSV(ref)["temperature"] ?? []).compactMap { Double($0) }
            XCTAssertNotEqual(tau.last, 0.5, "\(mode): τ is learned")
        }
    }

    func testLearnedTemperatureElasticResumeCarriesTau() throws {
        let args =
            Self.small + Self.learnedTemperature + [
                "--mode", "multi-modal", "--steps", "16", "--set", "batch_size=9", "--set", "optimizer.kind=adam",
                "--set", "optimizer.learning_rate=0.01", "--set", "log_every=1",
            ]
        let reference = scratch.appendingPathComponent("temperature-ref")
        let r = try train(ranks: 1, args + ["--output", reference.path])
        XCTAssertEqual(r.status, 0, r.output)
        let out = scratch.appendingPathComponent("temperature-2to3")
        let first = try train(ranks: 2, args + ["--output", out.path], environment: Self.stop(at: 7))
        XCTAssertEqual(first.status, 75, first.output)
        let second = try train(ranks: 3, args + ["--output", out.path, "--resume"])
        XCTAssertEqual(second.status, 0, second.output)
        try assertSameTrajectory(
            reference.appendingPathComponent("metrics.csv"), out.appendingPathComponent("metrics.csv"))
    }
}
