// Tests of the run-folder and sweep-folder reports on fixture folders written like the trainer's.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Report
import RunRecords

/// Writes fixture run and sweep folders in the trainer's format.
enum ReportFixtures {
    /// A run folder with metrics every 10 steps and accuracies every 50 (empty cells in between);
    /// compute and communication seconds add up along training as the trainer logs them, and the
    /// learning rate is constant (0.01).
    static func writeRun(at url: URL, mode: String, snr: Double, seed: Int, ranks: Int = 1, secondsPerStep: Double = 0.01,
                         steps: Int = 200, summary: Bool = true) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let multi = mode.hasPrefix("multi")
        let jitter = Double(seed) * 0.01
        let config: JSONValue = ["mode": .string(mode), "seed": .number(Double(seed)), "ranks": .number(Double(ranks)),
                                 "data": ["snr": .number(snr), "d": 2000, "n": 100], "model": ["m": 50, "tau": 0.5], "lr": 0.01]
        try AtomicFile.write(config.serialized(), to: url.appendingPathComponent("config.json"))
        let header = ["step", "epoch", "wall_seconds", "learning_rate", "loss", "signal_learning", "noise_memorization", "condition_number",
                      "train_accuracy", "test_accuracy", "compute_seconds", "communication_seconds"]
        let w = try CSVWriter(creating: url.appendingPathComponent("metrics.csv"), header: header)
        var testAcc = 0.5
        for step in stride(from: 0, through: steps, by: 10) {
            let t = Double(step) / Double(steps)
            let signal = (multi ? 3.0 : 0.6) * t * snr + jitter
            let noise = (multi ? 0.4 : 2.5) * t + jitter
            var row: [String: CSVField] = [
                "step": .integer(step), "epoch": .integer(step), "wall_seconds": .number(Double(step) * secondsPerStep),
                "learning_rate": .number(0.01),
                "loss": .number(1.4 * exp(-3 * t) + 0.1 + jitter), "signal_learning": .number(signal),
                "noise_memorization": .number(noise), "condition_number": .number(2 + 30 * t * exp(-4 * t) + jitter),
                "compute_seconds": .number(secondsPerStep * 0.8 * Double(step)),
                "communication_seconds": .number(secondsPerStep * 0.2 * Double(ranks) / 4 * Double(step)),
            ]
            if step % 50 == 0 {
                testAcc = multi ? 0.5 + 0.48 * t * min(1, snr) : 0.5 + 0.05 * t
                row["train_accuracy"] = .number(0.5 + 0.4 * t)
                row["test_accuracy"] = .number(testAcc + jitter)
            }
            try w.write(row)
        }
        try w.close()
        if summary {
            var s = Self.summary(mode: mode, seed: seed, ranks: ranks, steps: steps, secondsPerStep: secondsPerStep * (1 + jitter))
            s.finalLoss = 0.1 + jitter
            s.trainAccuracy = 0.9 - jitter
            s.testAccuracy = testAcc + jitter
            try RecordCoding.write(s, to: url.appendingPathComponent(RunSummary.file))
        }
    }

    /// A completed run's summary.json record (mode "multi…" is multi-modal, else single-modal);
    /// the figures are left for the caller.
    static func summary(mode: String, seed: Int, ranks: Int = 1, steps: Int = 200, secondsPerStep: Double = 0.01) -> RunSummary {
        RunSummary(name: "fixture", model: .signalNoise, mode: mode.hasPrefix("multi") ? .multiModal : .singleModal, loss: "infonce",
                   seed: UInt64(seed), status: .completed, stepsCompleted: steps, stepsPlanned: steps, ranks: ranks,
                   wallSeconds: secondsPerStep * Double(steps), secondsPerStep: secondsPerStep,
                   computeSeconds: 0.8 * secondsPerStep * Double(steps), communicationSeconds: 0.2 * secondsPerStep * Double(steps))
    }

    /// 3 seeds × 2 modes × 3 SNR values; one point (the last) has no results yet when `leaveOneOut`.
    static func writeSNRSweep(at url: URL, leaveOneOut: Bool = false) throws {
        var points: [JSONValue] = []
        let all = [0.3, 1.0, 3.0].flatMap { snr in ["single", "multi"].flatMap { mode in (0..<3).map { (snr, mode, $0) } } }
        for (i, (snr, mode, seed)) in all.enumerated() {
            let name = "\(mode)-snr\(snr)-s\(seed)"
            points.append(["name": .string(name), "values": ["mode": .string(mode), "snr": .number(snr), "seed": .number(Double(seed))],
                           "folder": .string("points/\(name)")])
            if leaveOneOut && i == all.count - 1 { continue }
            try writeRun(at: url.appendingPathComponent("points/\(name)"), mode: mode, snr: snr, seed: seed)
        }
        let sweep: JSONValue = ["parameters": ["mode", "snr", "seed"], "points": .array(points)]
        try AtomicFile.write(sweep.serialized(), to: url.appendingPathComponent("sweep.json"))
    }

    /// A strong-scaling sweep over ranks 1, 2, 4, 8 with 2 seeds.
    static func writeScalingSweep(at url: URL, scaling: String) throws {
        var points: [JSONValue] = []
        for ranks in [1, 2, 4, 8] {
            for seed in 0..<2 {
                let name = "r\(ranks)-s\(seed)"
                points.append(["name": .string(name), "values": ["ranks": .number(Double(ranks)), "seed": .number(Double(seed))], "folder": .string("points/\(name)")])
                let t = scaling == "strong" ? 0.8 / Double(ranks) + 0.02 * Double(ranks) : 0.1 + 0.01 * log2(Double(ranks))
                try writeRun(at: url.appendingPathComponent("points/\(name)"), mode: "multi", snr: 1, seed: seed, ranks: ranks, secondsPerStep: t, steps: 50)
            }
        }
        let sweep: JSONValue = ["parameters": ["ranks", "seed"], "scaling": .string(scaling), "points": .array(points)]
        try AtomicFile.write(sweep.serialized(), to: url.appendingPathComponent("sweep.json"))
    }
}

final class ReportFolderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ReportScratch.make("report-folders") }

    /// Set REPORT_KEEP_FIXTURES=1 to keep the fixture folders and reports (e.g. to render them).
    override func tearDownWithError() throws { ReportScratch.remove(dir) }

    /// Titles (the <title> of each inline SVG) of a report's charts.
    private func charts(in html: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        SVGInspector.chartTitles(in: html, file: file, line: line)
    }

    private func dataFiles(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }.sorted()
    }

    func testRunFolderReport() throws {
        let run = dir.appendingPathComponent("run1")
        try ReportFixtures.writeRun(at: run, mode: "single", snr: 0.5, seed: 1)
        let out = try writeReport(for: run)
        XCTAssertEqual(out.path, run.appendingPathComponent("report.html").path)
        let html = try String(contentsOf: out, encoding: .utf8)
        let titles = charts(in: html)
        XCTAssertEqual(titles, ["Training loss", "Signal learning vs noise memorization", "Condition number of the representation",
                                "Downstream accuracy", "Compute vs communication time"])
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
                       "no network references")
        XCTAssertTrue(html.contains("<td>model.tau</td>"), "nested config keys flattened with dots")
        XCTAssertTrue(html.contains("<td>completed</td>"))
        let files = try dataFiles(run.appendingPathComponent("report_data"))
        XCTAssertEqual(files.count, titles.count, "one CSV per chart: \(files)")
        XCTAssertEqual(files.first, "01-training-loss.csv")
        // The constant learning rate is named, not charted; timings come after the science.
        XCTAssertTrue(html.contains("Constant along training (not charted): learning_rate = 0.01"))
        let timings = try XCTUnwrap(html.range(of: "<h2>Timings</h2>"))
        let science = try XCTUnwrap(html.range(of: "<title>Downstream accuracy</title>"))
        let computeChart = try XCTUnwrap(html.range(of: "<title>Compute vs communication time</title>"))
        XCTAssertTrue(science.upperBound < timings.lowerBound && timings.upperBound < computeChart.lowerBound)
        // Accuracy points exist only every 50 steps (5 per split), the empty cells are skipped.
        let acc = try CSVTable(contentsOf: run.appendingPathComponent("report_data/04-downstream-accuracy.csv"))
        XCTAssertEqual(acc.header, ["series", "x", "y", "low", "high"])
        XCTAssertEqual(acc.strings("series")?.filter { $0 == "test" }.count, 5)
        XCTAssertEqual(acc.strings("series")?.filter { $0 == "train" }.count, 5)
    }

    func testRunWithoutSummaryStillReportsAndCustomOutput() throws {
        let run = dir.appendingPathComponent("running")
        try ReportFixtures.writeRun(at: run, mode: "multi", snr: 1, seed: 0, summary: false)
        let out = try writeReport(for: run, to: dir.appendingPathComponent("live.html"))
        let html = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(html.contains("No summary.json yet"))
        XCTAssertEqual(charts(in: html).count, 5)
        XCTAssertEqual(try dataFiles(dir.appendingPathComponent("live_data")).count, 5)
    }

    func testSNRSweepReport() throws {
        let sweep = dir.appendingPathComponent("sweep")
        try ReportFixtures.writeSNRSweep(at: sweep)
        let out = try writeReport(for: sweep)
        let html = try String(contentsOf: out, encoding: .utf8)
        let titles = charts(in: html)
        // The snr varies: no Figure 1. Timings (time per step, compute, communication) close the science.
        let expected = ["Test accuracy vs snr", "Train accuracy vs snr", "Final training loss vs snr", "Final accuracy per setting",
                        "Test accuracy during training", "Train accuracy during training", "Training loss during training",
                        "Signal learning during training", "Noise memorization during training",
                        "Condition number of the representation during training",
                        "Time per step vs snr", "Compute time during training", "Communication time during training"]
        XCTAssertEqual(titles, expected)
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, expected.count, "one SVG per chart")
        XCTAssertTrue(html.contains("mean over 3 seeds; band = min–max over seeds"))
        let files = try dataFiles(sweep.appendingPathComponent("report_data"))
        XCTAssertEqual(files.count, expected.count)
        for f in files { XCTAssertTrue(html.contains("report_data/\(f)"), "chart links its data \(f)") }

        // Test accuracy vs snr: 2 series (modes) × 3 snr values, mean over seeds, band = min..max.
        let t = try CSVTable(contentsOf: sweep.appendingPathComponent("report_data/01-test-accuracy-vs-snr.csv"))
        XCTAssertEqual(t.strings("series").map { Set($0) }, ["single", "multi", "chance (0.5)"])
        let rows = (0..<t.rows.count).map(t.row).filter { $0["series"] == "multi" && $0.number("x") == 3 }
        XCTAssertEqual(rows.count, 1)
        // Seeds 0,1,2 add jitter 0, 0.01, 0.02 to test accuracy 0.98 (multi, snr ≥ 1).
        XCTAssertEqual(rows[0].number("y") ?? 0, 0.99, accuracy: 1e-9)
        XCTAssertEqual(rows[0].number("low") ?? 0, 0.98, accuracy: 1e-9)
        XCTAssertEqual(rows[0].number("high") ?? 0, 1.0, accuracy: 1e-9)

        // Training curves: one series per (mode, snr) group = 6.
        let curves = try CSVTable(contentsOf: sweep.appendingPathComponent("report_data/07-training-loss-during-training.csv"))
        XCTAssertEqual(Set(curves.strings("series") ?? []).count, 6)
        XCTAssertTrue(curves.strings("series")?.contains("multi, snr=0.3") ?? false)
    }

    func testSweepWithMissingPointReportsItAndStillPlots() throws {
        let sweep = dir.appendingPathComponent("partial")
        try ReportFixtures.writeSNRSweep(at: sweep, leaveOneOut: true)
        let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
        XCTAssertTrue(html.contains("1 point(s) without results: multi-snr3.0-s2 (no results yet)"))
        XCTAssertTrue(html.contains("17 of 18 have results"))
        XCTAssertEqual(charts(in: html).first, "Test accuracy vs snr")
    }

    func testScalingSweepReport() throws {
        for kind in ["strong", "weak"] {
            let sweep = dir.appendingPathComponent("scaling-\(kind)")
            try ReportFixtures.writeScalingSweep(at: sweep, scaling: kind)
            let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
            let titles = charts(in: html)
            XCTAssertEqual(Array(titles.prefix(3)), ["Time per step vs ranks", "Parallel efficiency vs ranks", "Communication share vs ranks"])
            XCTAssertTrue(html.contains("Scaling (\(kind))"))
            let time = try CSVTable(contentsOf: sweep.appendingPathComponent("report_data/01-time-per-step-vs-ranks.csv"))
            let ideal = (0..<time.rows.count).map(time.row).filter { $0["series"] == "ideal" }
            XCTAssertEqual(ideal.count, 4)
            let t1 = ideal[0].number("y") ?? .nan
            if kind == "strong" {
                XCTAssertEqual(ideal[3].number("y") ?? 0, t1 / 8, accuracy: 1e-12, "strong: ideal t1/p")
            } else {
                XCTAssertEqual(ideal[3].number("y") ?? 0, t1, accuracy: 1e-12, "weak: ideal constant")
            }
            let eff = try CSVTable(contentsOf: sweep.appendingPathComponent("report_data/02-parallel-efficiency-vs-ranks.csv"))
            let first = (0..<eff.rows.count).map(eff.row).first { $0["series"] == "measured" }
            XCTAssertEqual(first?.number("y") ?? 0, 1, accuracy: 1e-12, "efficiency at the smallest rank count is 1")
        }
    }

    func testErrorsNameTheMissingFile() throws {
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try writeReport(for: empty)) { e in
            guard case RecordError.missingFile(let url, let hint) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(url.lastPathComponent, "metrics.csv")
            XCTAssertTrue(hint.contains("sweep.json"), hint)
        }
        XCTAssertThrowsError(try writeReport(for: dir.appendingPathComponent("nope"))) { e in
            XCTAssertTrue("\(e)".contains("nope") && "\(e)".contains("does not exist"), "\(e)")
        }
        let bad = dir.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try AtomicFile.write("{\"parameters\": [\"snr\"]}", to: bad.appendingPathComponent("sweep.json"))
        XCTAssertThrowsError(try writeReport(for: bad)) { e in
            guard case RecordError.malformed(let url, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(url.lastPathComponent, "sweep.json")
            XCTAssertTrue(reason.contains("points"), reason)
        }
    }
}
