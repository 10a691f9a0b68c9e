// Tests of the report pieces the paper experiments rely on: dotted SNR parameters on a log x
// axis, signal vs noise per mode with their ratio, the per-setting results table, no plots
// of bookkeeping figures (seed, steps, ranks), and the multi-modal − single-modal gap paired by seed.
import Foundation
import XCTest
@testable import Report
import RunRecords

final class ReportScienceTests: XCTestCase {
    func testSNRSweepWithDottedKeyShowsSignalNoiseAndResultsTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-science-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var points: [JSONValue] = []
        for snr in [0.01, 0.1] {
            for mode in ["multi-modal", "single-modal"] {
                for seed in 1...3 {
                    let name = "snr-\(snr)_seed-\(seed)_mode-\(mode)"
                    points.append(["name": .string(name), "values": ["signal_noise.snr": .number(snr), "seed": .number(Double(seed)), "mode": .string(mode)],
                                   "folder": .string("points/\(name)")])
                    let run = dir.appendingPathComponent("points/\(name)")
                    try ReportFixtures.writeRun(at: run, mode: mode, snr: snr, seed: seed)
                    // Single-modal memorizes noise (4) more than it learns the signal (10·snr); multi-modal learns the signal (20·snr).
                    let signal = (mode == "multi-modal" ? 20 : 10) * snr * 10, noise = 4.0 + Double(seed) * 0.1
                    var s = ReportFixtures.summary(mode: mode, seed: seed, ranks: 2)
                    s.testAccuracy = mode == "multi-modal" ? 0.9 : 0.55
                    s.signalLearning = signal
                    s.noiseMemorization = noise
                    try RecordCoding.write(s, to: run.appendingPathComponent(RunSummary.file))
                }
            }
        }
        let sweep: JSONValue = ["parameters": ["signal_noise.snr", "seed", "mode"], "points": .array(points)]
        try AtomicFile.write(sweep.serialized(), to: dir.appendingPathComponent("sweep.json"))
        let html = try String(contentsOf: try writeReport(for: dir), encoding: .utf8)

        XCTAssertTrue(html.contains("<title>Test accuracy vs snr</title>"), "the dotted snr key is the x axis")
        XCTAssertTrue(html.contains("signal-to-noise ratio (snr)"))
        XCTAssertTrue(html.contains("<title>Signal learning vs noise memorization — single-modal</title>"))
        XCTAssertTrue(html.contains("<title>Signal learning vs noise memorization — multi-modal</title>"))
        XCTAssertFalse(html.contains("Steps planned"), "bookkeeping figures are not plotted")
        XCTAssertFalse(html.contains("<title>Ranks vs snr</title>"))
        XCTAssertTrue(html.contains("mean (min–max) over seeds"), "results table")

        // Ratio chart: single-modal at snr 0.01 has noise/signal = 4.2/1 (mean over seeds), above the reference 1.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("report_data").path)
        let ratioFile = try XCTUnwrap(files.first { $0.contains("noise-memorization-signal-learning-vs-snr") })
        let t = try CSVTable(contentsOf: dir.appendingPathComponent("report_data/\(ratioFile)"))
        let rows = (0..<t.rows.count).map(t.row)
        let single = try XCTUnwrap(rows.first { $0["series"] == "single-modal" && $0.number("x") == 0.01 })
        XCTAssertEqual(single.number("y") ?? 0, 4.2, accuracy: 1e-9)
        XCTAssertEqual(single.number("low") ?? 0, 4.1, accuracy: 1e-9)
        let multi = try XCTUnwrap(rows.first { $0["series"] == "multi-modal" && $0.number("x") == 0.1 })
        XCTAssertLessThan(multi.number("y") ?? 9, 1, "multi-modal learns the signal at high SNR")
    }

    /// A sweep over mode × snr × n × seed: the gap heatmap pairs each multi-modal run with the
    /// single-modal run of the same seed and cell (a cell missing one seed's single-modal run
    /// averages the other seed only); mode values that name no ModalityMode give no gap.
    func testModeGapHeatmapPairsRunsBySeed() throws {
        let dir = try ReportScratch.make("report-gap")
        defer { ReportScratch.remove(dir) }
        func accuracy(_ mode: String, _ snr: Double, _ seed: Int) -> Double {
            mode.hasPrefix("multi") ? 0.6 + 0.2 * snr + 0.01 * Double(seed) : 0.5
        }
        func writeSweep(_ folder: URL, modes: [String]) throws {
            var points: [JSONValue] = []
            for mode in modes {
                for snr in [0.1, 1.0] {
                    for n in [50, 100] {
                        for seed in 1...2 {
                            let name = "\(mode)-snr\(snr)-n\(n)-s\(seed)"
                            points.append(["name": .string(name), "folder": .string("points/\(name)"),
                                           "values": ["mode": .string(mode), "snr": .number(snr),
                                                      "n": .number(Double(n)), "seed": .number(Double(seed))]])
                            // The single-modal run of seed 2 at (snr 1, n 100) has no results.
                            if !mode.hasPrefix("multi") && snr == 1 && n == 100 && seed == 2 { continue }
                            let run = folder.appendingPathComponent("points/\(name)")
                            try ReportFixtures.writeRun(at: run, mode: mode, snr: snr, seed: seed)
                            var s = ReportFixtures.summary(mode: mode, seed: seed)
                            s.testAccuracy = accuracy(mode, snr, seed)
                            try RecordCoding.write(s, to: run.appendingPathComponent(RunSummary.file))
                        }
                    }
                }
            }
            let sweep: JSONValue = ["parameters": ["mode", "snr", "n", "seed"], "points": .array(points)]
            try AtomicFile.write(sweep.serialized(), to: folder.appendingPathComponent("sweep.json"))
        }
        func gapCharts(_ folder: URL) throws -> [HeatmapChart] {
            let report = RunFolderReport(folder: folder)
            XCTAssertEqual(report.kind, .sweep)
            return try report.build().items.compactMap { item -> HeatmapChart? in
                guard case let .chart(chart, _) = item, let h = chart as? HeatmapChart, h.title.hasPrefix("Gap") else {
                    return nil
                }
                return h
            }
        }

        let named = dir.appendingPathComponent("named")
        try writeSweep(named, modes: ["multi-modal", "single-modal"])
        let sweep = try SweepFolder.load(named)
        XCTAssertEqual(Set(sweep.points.map(\.mode)), [.multiModal, .singleModal])
        let gaps = try gapCharts(named)
        XCTAssertEqual(gaps.map(\.title), ["Gap in test accuracy, multi-modal − single-modal"])
        let gap = try XCTUnwrap(gaps.first)
        XCTAssertEqual(gap.columns, ["0.1", "1"], "snr along x")
        XCTAssertEqual(gap.rows, ["50", "100"], "n along y")
        // Mean over seeds 1, 2 of 0.6 + 0.2·snr + 0.01·seed − 0.5; only seed 1 at (snr 1, n 100).
        XCTAssertEqual(gap.values[0][0], 0.1 + 0.02 + 0.015, accuracy: 1e-12)
        XCTAssertEqual(gap.values[1][0], 0.1 + 0.02 + 0.015, accuracy: 1e-12)
        XCTAssertEqual(gap.values[0][1], 0.1 + 0.2 + 0.015, accuracy: 1e-12)
        XCTAssertEqual(gap.values[1][1], 0.1 + 0.2 + 0.01, accuracy: 1e-12)
        XCTAssertEqual(gap.details?[1][1], "1 seed")

        let unnamed = dir.appendingPathComponent("unnamed")
        try writeSweep(unnamed, modes: ["multi", "single"])
        XCTAssertTrue(try SweepFolder.load(unnamed).points.allSatisfy { $0.mode == nil })
        XCTAssertEqual(try gapCharts(unnamed).count, 0, "no gap without both ModalityMode names")
    }

    func testConditionNumberUsesLogScale() {
        XCTAssertEqual(Metrics.scale("condition_number", [2, 3, 5]), .log)
        XCTAssertEqual(Metrics.scale("loss", [2, 3, 5]), .linear)
        XCTAssertEqual(Metrics.shortName("signal_noise.snr"), "snr")
    }
}
