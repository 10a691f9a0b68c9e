// Elastic resume of a guided (masked) co-occurrence run whose loss parameters are learned: a
// single-modal guided run with InfoNCE's τ learned (stopped at 2 ranks, resumed at 3) and one
// with the sigmoid form's t and b learned (3 → 2) end with the uninterrupted one-rank run's
// metrics, every logged row; the parameters come back from the checkpoint, not re-initialised.
import Foundation
import XCTest

extension TrainerMultiRankTests {
    /// Guided single-modal runs of `Self.guided` with Adam (its state travels in the checkpoint
    /// too), every step logged; the guide (negatives drop or guided positives) masks the loss.
    static let guidedElastic = [
        "--mode", "single-modal", "--steps", "10", "--set", "log_every=1", "--set", "optimizer.kind=adam",
        "--set", "optimizer.learning_rate=0.05",
    ]

    /// Stopped with a checkpoint at step 4 on P ranks, resumed on Q ≠ P: the uninterrupted
    /// one-rank run's metrics, every row (the learned parameters' columns included).
    func testGuidedElasticResumeCarriesTheLearnedLossParameters() throws {
        let stop = 4
        let cases: [(name: String, p: Int, q: Int, extra: [String], initial: [String: Double])] = [
            (
                "temperature", 2, 3,
                [
                    "--set", "cooccurrence.positives=guided", "--set", "cooccurrence.negatives_drop=false-negatives",
                    "--set", "cooccurrence.false_negative_fraction=0.2", "--set", "loss.learn_temperature=true",
                    "--set", "loss.temperature=0.5",
                ],
                ["temperature": 0.5]
            ),
            (
                "sigmoid", 3, 2,
                [
                    "--set", "cooccurrence.positives=guided", "--set", "cooccurrence.negatives_drop=easy-negatives",
                    "--set", "loss.kind=sigmoid", "--set", "loss.learn_scale=true", "--set", "loss.learn_bias=true",
                    "--set", "loss.sigmoid_scale=5", "--set", "loss.sigmoid_bias=-2",
                ],
                ["sigmoid_scale": 5, "sigmoid_bias": -2]
            ),
        ]
        for c in cases {
            let args = Self.guided + c.extra + Self.guidedElastic
            let reference = scratch.appendingPathComponent("guided-\(c.name)-ref")
            let r = try train(ranks: 1, args + ["--output", reference.path])
            XCTAssertEqual(r.status, 0, r.output)
            let out = scratch.appendingPathComponent("guided-\(c.name)-\(c.p)to\(c.q)")
            let first = try train(ranks: c.p, args + ["--output", out.path], environment: Self.stop(at: stop))
            XCTAssertEqual(first.status, 75, "\(c.name), \(c.p) ranks stopped at step \(stop):\n\(first.output)")
            let second = try train(ranks: c.q, args + ["--output", out.path, "--resume"])
            XCTAssertEqual(second.status, 0, "\(c.name), \(c.p) → \(c.q) ranks:\n\(second.output)")
            let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
            XCTAssertTrue(
                summary.contains("\"resumed_from_step\" : \(stop)"),
                "\(c.name): not resumed from step \(stop): \(summary)")
            try assertSameTrajectory(
                reference.appendingPathComponent("metrics.csv"), out.appendingPathComponent("metrics.csv"))
            // The row of step stop + 1 holds the restored parameter after one more step: equal to
            // the uninterrupted run's, and far from where a re-initialised one would be after one
            // step (a restore that dropped τ, or t and b, fails here and in the trajectory above).
            let ref = try readCSV(reference.appendingPathComponent("metrics.csv"))
            let got = try readCSV(out.appendingPathComponent("metrics.csv"))
            guard let refRow = ref["step"]?.firstIndex(of: "\(stop + 1)"),
                let row = got["step"]?.firstIndex(of: "\(stop + 1)"),
                let initialRow = ref["step"]?.firstIndex(of: "1")
            else {
                XCTFail("\(c.name): no rows of steps 1 and \(stop + 1)")
                continue
            }
            for (column, initial) in c.initial {
                let value = { (csv: [String: [String]], i: Int) in Double(csv[column]?[i] ?? "") ?? .nan }
                let expected = value(ref, refRow)
                let afterOneStep = value(ref, initialRow)
                XCTAssertNotEqual(expected, initial, "\(c.name): \(column) is learned")
                XCTAssertGreaterThan(
                    abs(expected - afterOneStep), 1e-3 * abs(initial),
                    "\(c.name): \(column) moves enough by step \(stop + 1) to tell a restored value from a fresh one")
                XCTAssertEqual(
                    value(got, row), expected, accuracy: 1e-5 * abs(expected) + 1e-6,
                    "\(c.name): \(column) at step \(stop + 1) is the checkpoint's value after one step, not \(initial) re-initialised"
                )
            }
        }
    }
}
