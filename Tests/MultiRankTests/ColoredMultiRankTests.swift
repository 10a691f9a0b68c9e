// Multi-rank test of the colored model (Huang et al.'s Table 1 as synthetic data): `infomax
// train` gives the same metrics (loss, gradient norm, the softmax probe's train and OOD test
// accuracy) at 1, 2, 3 and 4 ranks, full batch and mini-batches over uneven shards.
import Foundation
import XCTest

extension TrainerMultiRankTests {
    /// A small colored run: n = 25 over uneven shards, d = 24, width 8.
    static let colored = [
        "--model", "colored", "--set", "train_samples=25", "--set", "colored.d=24", "--set", "encoder.width=8",
        "--set", "probe_train_samples=30", "--set", "test_samples=30", "--set", "log_every=2",
        "--set", "eval_every=4", "--set", "optimizer.learning_rate=0.05", "--set", "encoder.init_scale=0.1",
        "--progress", "none",
    ]

    func testColoredSameMetricsAt1To4Ranks() throws {
        for (name, extra) in [
            ("full", ["--mode", "compare", "--steps", "6"]),
            ("batch", ["--mode", "single-modal", "--steps", "6", "--set", "batch_size=9"]),
        ] {
            var folders: [URL] = []
            for n in 1...4 {
                let out = scratch.appendingPathComponent("colored-\(name)-np\(n)")
                let o = try train(ranks: n, Self.colored + extra + ["--output", out.path])
                XCTAssertEqual(o.status, 0, o.output)
                folders.append(out)
            }
            let modes = name == "full" ? ["points/multi-modal/", "points/single-modal/"] : [""]
            for mode in modes {
                let ref = folders[0].appendingPathComponent(mode + "metrics.csv")
                let accuracy = try readCSV(ref)["test_accuracy"] ?? []
                XCTAssertTrue(accuracy.contains { !$0.isEmpty }, "\(name) \(mode): the probe ran")
                for f in folders.dropFirst() {
                    try assertSameTrajectory(ref, f.appendingPathComponent(mode + "metrics.csv"))
                }
            }
        }
    }
}
