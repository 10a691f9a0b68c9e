// Sizes that cannot fit are refused before anything is allocated: each of issue 12's crashing
// inputs (and an Int-overflowing dimension) ends with exit 64 on every rank and exactly one
// error line naming the key, the estimate and what the node can use — for train, sweep and
// bench; --dry-run prints the estimate. (Bench's estimate against its measured peak RSS is
// checked on the release build by Tests/Bench/check-memory-estimate.sh: the debug build is too slow.)
import Foundation
import XCTest

final class MemoryMultiRankTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("infomax-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// The lines of `output` that carry an error.
    private func errorLines(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.contains("error") || $0.contains("Fatal") }
    }

    private func assertRefused(
        _ o: Launcher.Outcome, key: String, available: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertFalse(o.timedOut, "no hang", file: file, line: line)
        XCTAssertEqual(o.status, 64, o.output, file: file, line: line)
        let errors = errorLines(o.output)
        XCTAssertEqual(errors.count, 1, "exactly one error line:\n\(o.output)", file: file, line: line)
        guard let e = errors.first else { return }
        XCTAssertTrue(e.contains("\(key) = "), "names \(key): \(e)", file: file, line: line)
        XCTAssertTrue(
            e.contains("needs ") || e.contains("overflow"), "says what it needs: \(e)", file: file, line: line)
        if let available {
            XCTAssertTrue(e.contains(available), "says what it can use (\(available)): \(e)", file: file, line: line)
        }
    }

    func testIssueSizesAreRefusedWithOneLineNamingTheKey() throws {
        let cases: [(String, String)] = [
            ("signal_noise.d=2000000000", "signal_noise.d"),
            ("train_samples=1e9", "train_samples"),
            ("encoder.width=1e9", "encoder.width"),
            ("probe_train_samples=1e9", "probe_train_samples"),
            ("signal_noise.d=4611686018427387904", "signal_noise.d"),
        ]
        for (override, key) in cases {
            let o = try Launcher.run(
                ranks: 2, executable: "infomax",
                arguments: [
                    "train", "--set", override, "--output", scratch.appendingPathComponent("run").path,
                    "--progress", "none",
                ], timeout: 60)
            assertRefused(o, key: key, available: override.contains("4611686018427387904") ? nil : "can use ")
        }
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: scratch.appendingPathComponent("run").path), "nothing was written")
    }

    func testOverrideLimitSweepBenchAndDryRun() throws {
        // A limit below the default run's need: refused, naming the variable as the source.
        let limited = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: ["train", "--output", scratch.appendingPathComponent("r").path],
            timeout: 60, environment: ["INFOMAX_MEMORY_LIMIT_BYTES": "60000000"])
        assertRefused(limited, key: "", available: "60 MB (INFOMAX_MEMORY_LIMIT_BYTES)")

        // --dry-run prints the table and the verdict, trains nothing.
        let dry = try Launcher.run(ranks: 2, executable: "infomax", arguments: ["train", "--dry-run"], timeout: 60)
        XCTAssertEqual(dry.status, 0, dry.output)
        XCTAssertTrue(dry.output.contains("encoders' weights, gradients and optimizer state"), dry.output)
        XCTAssertTrue(dry.output.contains("estimated peak of rank 0 of 2"), dry.output)
        XCTAssertTrue(dry.output.contains("available on host"), dry.output)
        XCTAssertTrue(dry.output.contains("fits: yes"), dry.output)
        let dryBig = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: ["train", "--dry-run", "--set", "encoder.width=1e9"],
            timeout: 60)
        XCTAssertEqual(dryBig.status, 64, dryBig.output)
        XCTAssertTrue(dryBig.output.contains("TB"), "the table shows the terabytes:\n\(dryBig.output)")

        // sweep: one impossible point refuses the grid before any point runs.
        let dir = scratch.appendingPathComponent("sweep")
        let sweep = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: [
                "sweep", "--set", "signal_noise.d=60", "--set", "train_samples=16", "--set", "steps=2",
                "--grid", "encoder.width=4,1000000000", "--output", dir.path, "--progress", "none",
            ],
            timeout: 60)
        assertRefused(sweep, key: "encoder.width", available: "can use ")
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("points").path), "no point ran")

        // The ranks of one node share its memory (MPI_Comm_split_type SHARED): a limit that
        // holds two default runs (~55 MB each) admits 2 ranks and refuses 4.
        let limit = ["INFOMAX_MEMORY_LIMIT_BYTES": "150e6"]
        let two = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: ["train", "--dry-run"], timeout: 60, environment: limit)
        XCTAssertEqual(two.status, 0, two.output)
        XCTAssertTrue(two.output.contains("150 MB (INFOMAX_MEMORY_LIMIT_BYTES) for its 2 rank(s)"), two.output)
        let four = try Launcher.run(
            ranks: 4, executable: "infomax", arguments: ["train", "--dry-run"], timeout: 60, environment: limit)
        assertRefused(four, key: "", available: "150 MB (INFOMAX_MEMORY_LIMIT_BYTES)")
        XCTAssertTrue(four.output.contains("for the 4 ranks on host"), four.output)

        // bench refuses alike.
        let bench = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: ["bench", "--width", "1000000000", "--steps", "1"], timeout: 60)
        assertRefused(bench, key: "encoder.width", available: "can use ")
    }
}
