// Multi-rank tests of the guided recipe (Zhang et al.'s AddNewPositive, negative drops and
// DropFalsePositive on the co-occurrence model): the guide's choices and the masked loss equal the whole-batch
// reference at 1–4 ranks with uneven shards (suite "guided"); `infomax train` gives the same
// metrics at 1, 2 and 3 ranks, with the guide handed over by compare mode, trained by the
// single-modal run itself, or read from a run folder (cooccurrence.guide_run; a folder without a
// guide or with another vocabulary exits 65); opposite-label negatives exit 64, said once.
import Foundation
import XCTest

final class GuidedMultiRankTests: XCTestCase {
    func testGuideChoicesAndMaskedLossMatchReferenceAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("guided", ranks: [1, 2, 3, 4])
    }
}

extension TrainerMultiRankTests {
    /// A small guided co-occurrence run: n = 30 over uneven shards, mini-batches of 13.
    static let guided = [
        "--model", "cooccurrence", "--set", "train_samples=30", "--set", "batch_size=13",
        "--set", "encoder.width=3", "--set", "cooccurrence.classes=3", "--set", "cooccurrence.image_vocabulary=9",
        "--set", "cooccurrence.text_vocabulary=6", "--set", "probe_train_samples=30", "--set", "test_samples=30",
        "--set", "loss.similarity=cosine", "--set", "loss.stop_gradient=false", "--set", "log_every=2",
        "--set", "optimizer.learning_rate=0.5", "--set", "encoder.init_scale=0.1", "--progress", "none",
    ]

    func testGuidedCooccurrenceSameMetricsAt1To3Ranks() throws {
        for (name, extra) in [
            ("add", ["--set", "cooccurrence.positives=guided"]),
            (
                "drop",
                [
                    "--set", "cooccurrence.positives=augmentation", "--set",
                    "cooccurrence.negatives_drop=false-negatives",
                    "--set", "cooccurrence.false_negative_fraction=0.2",
                ]
            ),
            (
                "falsepos",
                [
                    "--set", "cooccurrence.positives=augmentation", "--set",
                    "cooccurrence.positives_drop=false-positives",
                    "--set", "cooccurrence.false_positive_fraction=0.3",
                ]
            ),
        ] {
            var folders: [URL] = []
            for n in 1...3 {
                let out = scratch.appendingPathComponent("\(name)-np\(n)")
                let o = try train(
                    ranks: n, Self.guided + extra + ["--mode", "compare", "--steps", "8", "--output", out.path])
                XCTAssertEqual(o.status, 0, o.output)
                folders.append(out)
            }
            for mode in ["multi-modal", "single-modal"] {
                for f in folders.dropFirst() {
                    try assertSameTrajectory(
                        folders[0].appendingPathComponent("points/\(mode)/metrics.csv"),
                        f.appendingPathComponent("points/\(mode)/metrics.csv"))
                }
            }
            // A single-modal run alone trains its own guide: the same run as the compare's.
            let alone = scratch.appendingPathComponent("\(name)-alone")
            let o = try train(
                ranks: 2, Self.guided + extra + ["--mode", "single-modal", "--steps", "8", "--output", alone.path])
            XCTAssertEqual(o.status, 0, o.output)
            try assertSameTrajectory(
                folders[0].appendingPathComponent("points/single-modal/metrics.csv"),
                alone.appendingPathComponent("metrics.csv"))
            // The guide changes the run: not the plain augmentation run.
            let plain = scratch.appendingPathComponent("\(name)-plain")
            XCTAssertEqual(
                try train(
                    ranks: 2,
                    Self.guided + [
                        "--set", "cooccurrence.positives=augmentation", "--mode", "single-modal",
                        "--steps", "8", "--output", plain.path,
                    ]
                ).status, 0)
            XCTAssertNotEqual(
                try readCSV(alone.appendingPathComponent("metrics.csv"))["loss"],
                try readCSV(plain.appendingPathComponent("metrics.csv"))["loss"],
                "\(name): the guide must change the loss")
        }
    }

    func testGuideRunFolderGivesTheSameRunAndBadFoldersExit65Once() throws {
        let extra = ["--set", "cooccurrence.positives=guided"]
        let compare = scratch.appendingPathComponent("compare")
        XCTAssertEqual(
            try train(ranks: 2, Self.guided + extra + ["--mode", "compare", "--steps", "8", "--output", compare.path])
                .status, 0)
        let saved = compare.appendingPathComponent("points/multi-modal/image-encoder.json")
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: saved.path), "a finished multi-modal run saves its image encoder")
        // The compare folder itself, and its multi-modal point, both name the guide.
        for (name, path) in [
            ("folder", compare.path), ("point", compare.appendingPathComponent("points/multi-modal").path),
        ] {
            let out = scratch.appendingPathComponent("from-\(name)")
            let o = try train(
                ranks: 3,
                Self.guided + extra + [
                    "--set", "cooccurrence.guide_run=\(path)", "--mode", "single-modal",
                    "--steps", "8", "--output", out.path,
                ])
            XCTAssertEqual(o.status, 0, o.output)
            try assertSameTrajectory(
                compare.appendingPathComponent("points/single-modal/metrics.csv"),
                out.appendingPathComponent("metrics.csv"))
        }
        // A folder without a guide, and a guide of another vocabulary: 65, said once by rank 0.
        let other = scratch.appendingPathComponent("other-vocabulary")
        XCTAssertEqual(
            try train(
                ranks: 1,
                Self.guided + [
                    "--set", "cooccurrence.image_vocabulary=12", "--mode", "multi-modal", "--steps", "2",
                    "--output", other.path,
                ]
            ).status, 0)
        for (bad, says) in [(scratch.path, "no image-encoder.json"), (other.path, "encodes 12 image tokens")] {
            let o = try train(
                ranks: 2,
                Self.guided + extra + [
                    "--set", "cooccurrence.guide_run=\(bad)", "--mode", "single-modal",
                    "--steps", "2", "--output", scratch.appendingPathComponent("bad-run").path, "--force",
                ])
            XCTAssertEqual(o.status, 65, o.output)
            XCTAssertEqual(o.output.components(separatedBy: says).count - 1, 1, "said once:\n\(o.output)")
        }
    }

    func testGuidedWithOppositeLabelNegativesExits64Once() throws {
        let o = try train(
            ranks: 2,
            Self.guided + [
                "--set", "cooccurrence.positives=guided", "--set", "loss.negatives=opposite-label",
                "--mode", "single-modal", "--steps", "2", "--output", scratch.appendingPathComponent("bad").path,
            ])
        XCTAssertEqual(o.status, 64, o.output)
        XCTAssertEqual(o.output.components(separatedBy: "loss.negatives").count - 1, 1, "said once:\n\(o.output)")
        XCTAssertTrue(o.output.contains("guided"), o.output)
    }
}
