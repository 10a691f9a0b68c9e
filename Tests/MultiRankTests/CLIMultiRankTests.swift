// The other subcommands under mpirun: `info` reports every rank once; `sweep` runs a grid,
// runs one point with --index, skips finished points, and writes sweep.csv and the report;
// `report` renders a folder.
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
        let common = ["sweep", "--set", "signal_noise.d=60", "--set", "train_samples=16", "--set", "encoder.width=6",
                      "--set", "probe_train_samples=30", "--set", "test_samples=30", "--set", "steps=6", "--set", "log_every=2",
                      "--grid", "signal_noise.snr=0.1,0.5", "--grid", "seed=1,2", "--output", dir.path, "--progress", "none"]
        let list = try Launcher.run(ranks: 1, executable: "infomax", arguments: common + ["--list"], timeout: 60)
        XCTAssertEqual(list.status, 0, list.output)
        let lines = list.output.split(separator: "\n").filter { $0.first?.isNumber == true }
        XCTAssertEqual(lines.count, 8, "2 SNR × 2 seeds × 2 modes (compare adds the mode axis):\n\(list.output)")
        XCTAssertTrue(lines[0].hasPrefix("0\tsnr-0.1_seed-1_mode-multi-modal"), "\(lines[0])")

        // One point alone, as a Slurm array task would.
        let one = try Launcher.run(ranks: 2, executable: "infomax", arguments: common + ["--index", "3"], timeout: 120)
        XCTAssertEqual(one.status, 0, one.output)
        XCTAssertTrue(one.output.contains("3/8 points finished") || one.output.contains("1/8 points finished"), one.output)
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
        let rep = try Launcher.run(ranks: 1, executable: "infomax", arguments: ["report", dir.path, "--output", html.path], timeout: 60)
        XCTAssertEqual(rep.status, 0, rep.output)
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<svg"), "the report has charts")
    }
}
