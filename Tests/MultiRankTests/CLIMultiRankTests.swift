// The other subcommands under mpirun: `info` reports every rank once; `sweep` runs a grid,
// runs one point with --index, skips finished points, and writes sweep.csv and the report;
// `report` renders a folder. Output folders: --force empties only what infomax wrote, never a
// user's folder; bad input gets one honest error line with the documented exit code.
import Foundation
import XCTest

final class CLIMultiRankTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("infomax-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func testInfoListsEveryRankOnce() throws {
        let o = try Launcher.run(ranks: 2, executable: "infomax", arguments: ["info"], timeout: 60)
        XCTAssertEqual(o.status, 0, o.output)
        XCTAssertTrue(o.output.contains("Open MPI"), o.output)
        XCTAssertTrue(o.output.contains("OpenBLAS"), o.output)
        XCTAssertEqual(o.output.components(separatedBy: "InfoMaxMPI").count - 1, 1, "header printed once")
        XCTAssertTrue(o.output.contains("rank 0/2") && o.output.contains("rank 1/2"), o.output)
        XCTAssertTrue(o.output.contains("1 thread(s) per rank"), "OPENBLAS_NUM_THREADS=1 is honoured:\n\(o.output)")
    }

    func testSweepRunsSkipsAndReports() throws {
        let dir = scratch.appendingPathComponent("sweep")
        let common = [
            "sweep", "--set", "signal_noise.d=60", "--set", "train_samples=16", "--set", "encoder.width=6",
            "--set", "probe_train_samples=30", "--set", "test_samples=30", "--set", "steps=6", "--set", "log_every=2",
            "--grid", "signal_noise.snr=0.1,0.5", "--grid", "seed=1,2", "--output", dir.path, "--progress", "none",
        ]
        let list = try Launcher.run(ranks: 1, executable: "infomax", arguments: common + ["--list"], timeout: 60)
        XCTAssertEqual(list.status, 0, list.output)
        let lines = list.output.split(separator: "\n").filter { $0.first?.isNumber == true }
        XCTAssertEqual(lines.count, 8, "2 SNR × 2 seeds × 2 modes (compare adds the mode axis):\n\(list.output)")
        XCTAssertTrue(lines[0].hasPrefix("0\tsnr-0.1_seed-1_mode-multi-modal"), "\(lines[0])")

        // One point alone, as a Slurm array task would.
        let one = try Launcher.run(ranks: 2, executable: "infomax", arguments: common + ["--index", "3"], timeout: 120)
        XCTAssertEqual(one.status, 0, one.output)
        XCTAssertTrue(
            one.output.contains("3/8 points finished") || one.output.contains("1/8 points finished"), one.output)
        let third = dir.appendingPathComponent("points/snr-0.1_seed-2_mode-single-modal/summary.json")
        XCTAssertTrue(FileManager.default.fileExists(atPath: third.path))
        let before = try FileManager.default.attributesOfItem(atPath: third.path)[.modificationDate] as? Date

        // The whole grid: point 3 is skipped, the rest run, and the sweep is summarised.
        let all = try Launcher.run(ranks: 2, executable: "infomax", arguments: common, timeout: 300)
        XCTAssertEqual(all.status, 0, all.output)
        let after = try FileManager.default.attributesOfItem(atPath: third.path)[.modificationDate] as? Date
        XCTAssertEqual(before, after, "a finished point is not run again")
        let csv = try String(contentsOf: dir.appendingPathComponent("sweep.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 9, csv)
        XCTAssertTrue(csv.hasPrefix("point,signal_noise.snr,seed,mode,final_loss"), csv)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))

        // A bad index is refused once, by rank 0.
        let bad = try Launcher.run(ranks: 2, executable: "infomax", arguments: common + ["--index", "8"], timeout: 60)
        XCTAssertEqual(bad.status, 64, bad.output)
        XCTAssertEqual(bad.output.components(separatedBy: "outside the grid").count - 1, 1, bad.output)

        // `report` re-renders the folder to another file.
        let html = scratch.appendingPathComponent("again.html")
        let rep = try Launcher.run(
            ranks: 1, executable: "infomax", arguments: ["report", dir.path, "--output", html.path], timeout: 60)
        XCTAssertEqual(rep.status, 0, rep.output)
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<svg"), "the report has charts")
    }

    /// A small, fast training (signal-noise, d = 60, n = 16, m = 6, 4 steps).
    static let tiny = [
        "train", "--set", "signal_noise.d=60", "--set", "train_samples=16", "--set", "encoder.width=6",
        "--set", "probe_train_samples=30", "--set", "test_samples=30", "--steps", "4", "--set", "log_every=1",
        "--mode", "multi-modal", "--progress", "none",
    ]

    /// Makes a folder of "user data": files and a subfolder that infomax did not write.
    func userFolder(_ name: String) throws -> URL {
        let dir = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: dir.appendingPathComponent("data.txt"))
        try Data("precious too".utf8).write(to: dir.appendingPathComponent("sub/more.txt"))
        return dir
    }

    func assertUntouched(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(
            try? String(contentsOf: dir.appendingPathComponent("data.txt"), encoding: .utf8), "precious", file: file,
            line: line)
        XCTAssertEqual(
            try? String(contentsOf: dir.appendingPathComponent("sub/more.txt"), encoding: .utf8), "precious too",
            file: file, line: line)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path),
            "nothing written into it", file: file, line: line)
    }

    /// Exit `code`, exactly one `infomax: error` line that contains every needle, in time.
    func assertRefused(
        _ o: Launcher.Outcome, _ code: Int32, _ needles: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertFalse(o.timedOut, "hung", file: file, line: line)
        XCTAssertEqual(o.status, code, o.output, file: file, line: line)
        let errors = o.output.split(separator: "\n").filter { $0.hasPrefix("infomax: error") }
        XCTAssertEqual(errors.count, 1, "exactly one error line:\n\(o.output)", file: file, line: line)
        for n in needles {
            XCTAssertTrue(
                errors.first?.contains(n) == true, "message lacks '\(n)':\n\(o.output)", file: file, line: line)
        }
        XCTAssertFalse(
            o.output.contains("NSCocoaErrorDomain") || o.output.contains("Error Domain="),
            "raw Foundation error:\n\(o.output)",
            file: file, line: line)
    }

    func testForceEmptiesOnlyFoldersInfomaxWrote() throws {
        let fm = FileManager.default
        // A user's folder is never written into, nor emptied by --force (which names one foreign entry).
        let user = try userFolder("user-data")
        for extra in [[], ["--force"]] {
            let o = try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", user.path] + extra, timeout: 60)
            assertRefused(o, 64, ["not an infomax output folder", "'data.txt'"])
            assertUntouched(user)
        }
        // The same through a symbolic link to it, and as `--output .` in it.
        let link = scratch.appendingPathComponent("link")
        try fm.createSymbolicLink(at: link, withDestinationURL: user)
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", link.path, "--force"], timeout: 60),
            64, ["'data.txt'"])
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", ".", "--force"], timeout: 60,
                directory: user), 64, ["'data.txt'"])
        assertUntouched(user)
        // An empty --output (once: the working directory wiped) is refused; so is a file.
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", "", "--force"], timeout: 60,
                directory: user), 64, ["--output is empty"])
        assertUntouched(user)
        let file = user.appendingPathComponent("data.txt")
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", file.path, "--force"], timeout: 60),
            64, ["is a file"])
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", file.path + "/run"], timeout: 60),
            64, ["is a file"])
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", "/dev/null/sub"], timeout: 60),
            64, ["/dev/null/sub"])
        assertUntouched(user)

        // A run folder of ours gets the marker; metrics.csv has integer steps and epochs (full batch).
        let run = scratch.appendingPathComponent("run")
        let first = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path], timeout: 120)
        XCTAssertEqual(first.status, 0, first.output)
        let marker = try String(contentsOf: run.appendingPathComponent(".infomax-run"), encoding: .utf8)
        XCTAssertTrue(
            marker.contains("\"tool\"") && marker.contains("infomax") && marker.contains("\"created\""), marker)
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(
            separator: "\n")
        XCTAssertEqual(metrics.first?.hasPrefix("step,epoch,"), true)
        XCTAssertEqual(metrics.count, 6, "header + steps 0...4:\n\(metrics)")
        for (i, row) in metrics.dropFirst().enumerated() {
            XCTAssertTrue(row.hasPrefix("\(i),\(i),"), "step and epoch are integers: \(row)")
        }
        // A foreign file in it, or one in report_data/, or a symlink there: --force refuses, deletes nothing.
        try Data("mine".utf8).write(to: run.appendingPathComponent("notes.txt"))
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path, "--force"], timeout: 60),
            64, ["'notes.txt'", "nothing was deleted"])
        XCTAssertTrue(fm.fileExists(atPath: run.appendingPathComponent("summary.json").path))
        try fm.removeItem(at: run.appendingPathComponent("notes.txt"))
        try Data("mine".utf8).write(to: run.appendingPathComponent("report_data/figure.png"))
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path, "--force"], timeout: 60),
            64, ["'report_data/figure.png'"])
        try fm.removeItem(at: run.appendingPathComponent("report_data/figure.png"))
        let elsewhere = try userFolder("elsewhere")
        try fm.removeItem(at: run.appendingPathComponent("report_data"))
        try fm.createSymbolicLink(at: run.appendingPathComponent("report_data"), withDestinationURL: elsewhere)
        assertRefused(
            try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path, "--force"], timeout: 60),
            64, ["'report_data'"])
        assertUntouched(elsewhere)
        try fm.removeItem(at: run.appendingPathComponent("report_data"))

        // Without a foreign entry --force starts over; a finished run is refused without it.
        let again = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path], timeout: 60)
        assertRefused(again, 64, ["already holds a finished run"])
        let forced = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: Self.tiny + ["--output", run.path, "--force"], timeout: 120)
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertTrue(fm.fileExists(atPath: run.appendingPathComponent(".infomax-run").path))
        XCTAssertTrue(fm.fileExists(atPath: run.appendingPathComponent("report.html").path))

        // A comparison (points/<mode>/, each marked) is emptied by --force as a whole.
        let compare = scratch.appendingPathComponent("compare")
        let cmp = Self.tiny.filter { $0 != "--mode" && $0 != "multi-modal" } + ["--output", compare.path]
        XCTAssertEqual(try Launcher.run(ranks: 2, executable: "infomax", arguments: cmp, timeout: 120).status, 0)
        XCTAssertTrue(fm.fileExists(atPath: compare.appendingPathComponent("points/single-modal/.infomax-run").path))
        try Data("mine".utf8).write(to: compare.appendingPathComponent("points/single-modal/keep.txt"))
        assertRefused(
            try Launcher.run(ranks: 2, executable: "infomax", arguments: cmp + ["--force"], timeout: 60),
            64, ["'points/single-modal/keep.txt'"])
        try fm.removeItem(at: compare.appendingPathComponent("points/single-modal/keep.txt"))
        XCTAssertEqual(
            try Launcher.run(ranks: 2, executable: "infomax", arguments: cmp + ["--force"], timeout: 120).status, 0)
    }

    /// Each bad value or argument: exit 64 (argument / config problem) or 65 (a file that cannot
    /// be used), one error line naming the key and what it accepts — never a JSON or Foundation dump.
    func testMessagesNameTheKeyAndTheRange() throws {
        let dir = scratch.appendingPathComponent("a-folder")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = scratch.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        let nul = try file("nul.json", Array(#"{"name": "a\u0000b"}"#.utf8))
        let latin1 = try file("latin1.json", Array(#"{"name": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8))
        let broken = try file("broken.json", Array(#"{"steps": 10,"#.utf8))
        let fraction = try file("fraction.json", Array(#"{"test_samples": 0.5}"#.utf8))
        let cases: [(args: [String], code: Int32, needles: [String])] = [
            (["--config", fraction], 64, ["'test_samples'", "whole number from 1 to 9223372036854775807", "0.5"]),
            (["--set", "seed=-1"], 64, ["'seed'", "from 0 to 18446744073709551615"]),
            (["--set", "seed=18446744073709551616"], 64, ["'seed'", "from 0 to 18446744073709551615"]),
            (["--set", "seed=18446744073709551615"], 0, []),
            (["--set", "steps=3.5"], 64, ["'steps'", "whole number"]),
            (["--set", "log_every=1e308"], 64, ["'log_every'", "whole number from 1"]),
            (["--set", "steps=1e3"], 0, []),
            (["--steps", "-1"], 64, ["'steps'", "at least 1"]),
            (["--steps", "2.5"], 64, ["'steps'", "whole number"]),
            (["--seed", "-1"], 64, ["'seed'", "from 0 to"]),
            (["--set", ".steps=3"], 64, ["'.steps=3'", "every part of the key path"]),
            (["--set", "loss..kind=infonce"], 64, ["'loss..kind=infonce'"]),
            (["--set", "loss.temperature=true"], 64, ["'loss.temperature'", "a finite number"]),
            (["--set", "loss.stop_gradient=1"], 64, ["'loss.stop_gradient'", "true or false"]),
            (["--config", nul], 64, ["'name'", "NUL"]),
            (["--config", dir.path], 65, ["a folder, not a JSON file"]),
            (["--config", latin1], 65, ["not UTF-8"]),
            (["--config", broken], 65, ["not valid JSON"]),
            (["--config", "/dev/zero"], 65, ["not a regular file"]),
            (
                ["--set", "signal_noise.positive_fraction=1e-12"], 64,
                ["'signal_noise.positive_fraction'", "label -1", "both labels"]
            ),
            (["--set", "name=\"..\""], 64, ["'name'"]),
        ]
        for c in cases {
            let o = try Launcher.run(
                ranks: 2, executable: "infomax", arguments: Self.tiny + c.args + ["--print-config"], timeout: 60)
            if c.code == 0 {
                XCTAssertEqual(o.status, 0, "\(c.args):\n\(o.output)")
                XCTAssertFalse(o.output.contains("infomax: error"), o.output)
            } else {
                assertRefused(o, c.code, c.needles)
            }
            XCTAssertFalse(o.output.contains("config key ''"), o.output)
        }
        // A negative sweep index is a value out of range, not a "missing value".
        let sweep = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: ["sweep", "--grid", "seed=1,2", "--set", "mode=\"multi-modal\"", "--index", "-1", "--list"],
            timeout: 60)
        assertRefused(sweep, 64, ["--index -1 is outside the grid's 2 points"])
    }
}
