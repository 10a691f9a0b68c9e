// Tests of the T₁ markers: Huang et al.'s predicted first-stage length, recorded by a run in
// summary.json (`t1_predicted`), drawn as labelled vertical lines at the predicted epoch on the
// signal-learning and noise-memorization panels of the report's Figure 1 and on a run's signal vs
// noise chart; folders of older builds (no prediction) still render, without them.
import Foundation
import RunRecords
import XCTest

@testable import Report

final class ReportT1MarkerTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ReportScratch.make("report-t1") }

    override func tearDownWithError() throws { ReportScratch.remove(dir) }

    static let known = T1Prediction(singleModal: 100.9, multiModal: 86.2)

    /// A compare run (`infomax train`: sweep.json over the mode) of two seeds; its summaries carry
    /// `t1` (nil: as an older build wrote them).
    private func writeCompare(at url: URL, t1: T1Prediction?) throws {
        var points: [JSONValue] = []
        for seed in [1, 2] {
            for mode in ["multi-modal", "single-modal"] {
                let name = "seed-\(seed)_mode-\(mode)"
                points.append([
                    "name": .string(name), "values": ["seed": .number(Double(seed)), "mode": .string(mode)],
                    "folder": .string("points/\(name)"),
                ])
                let run = url.appendingPathComponent("points/\(name)")
                try ReportFixtures.writeRun(at: run, mode: mode, snr: 1, seed: seed)
                var s = ReportFixtures.summary(mode: mode, seed: seed)
                s.signalLearning = mode == "multi-modal" ? 3 : 0.6
                s.noiseMemorization = mode == "multi-modal" ? 0.4 : 2.5
                s.t1Predicted = t1
                try RecordCoding.write(s, to: run.appendingPathComponent(RunSummary.file))
            }
        }
        let sweep: JSONValue = ["parameters": ["seed", "mode"], "points": .array(points)]
        try AtomicFile.write(sweep.serialized(), to: url.appendingPathComponent("sweep.json"))
    }

    private func figure(_ url: URL) throws -> (figure: PanelFigure, caption: String?) {
        let items = try RunFolderReport(folder: url).build().items
        return try XCTUnwrap(
            items.lazy.compactMap { item -> (PanelFigure, String?)? in
                if case .chart(let chart, let caption) = item, let f = chart as? PanelFigure { return (f, caption) }
                return nil
            }.first)
    }

    /// The x pixel of the x-axis tick labelled `label` in a chart's SVG.
    private func tickPX(_ svg: String, _ label: String) throws -> Double {
        let re = try NSRegularExpression(
            pattern: "<text x=\"([0-9.]+)\"[^>]*text-anchor=\"middle\" fill=\"#444\">\(label)</text>")
        let m = try XCTUnwrap(re.firstMatch(in: svg, range: NSRange(svg.startIndex..., in: svg)), "tick \(label)")
        return try XCTUnwrap(Double((svg as NSString).substring(with: m.range(at: 1))))
    }

    /// The x pixels of the dotted vertical lines of a panel's SVG.
    private func verticalPX(_ svg: String) throws -> [Double] {
        let re = try NSRegularExpression(
            pattern:
                "<line x1=\"([0-9.]+)\" y1=\"[0-9.]+\" x2=\"([0-9.]+)\" y2=\"[0-9.]+\"[^>]*stroke-dasharray=\"2 3\"")
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).compactMap { m in
            let x1 = (svg as NSString).substring(with: m.range(at: 1))
            return x1 == (svg as NSString).substring(with: m.range(at: 2)) ? Double(x1) : nil
        }
    }

    func testFigureOneMarksThePredictedT1OnTheSignalAndNoisePanels() throws {
        let url = dir.appendingPathComponent("with-t1")
        try writeCompare(at: url, t1: Self.known)
        let (figure, caption) = try figure(url)
        XCTAssertEqual(figure.panels.count, 4)
        for (k, panel) in figure.panels.enumerated() {
            let verticals = panel.references.filter(\.isVertical)
            if k < 2 {
                XCTAssertTrue(verticals.isEmpty, "no T₁ marker on \(panel.title)")
                continue
            }
            XCTAssertEqual(verticals.map(\.name), ["T₁ predicted, multi", "T₁ predicted, single"], panel.title)
            XCTAssertEqual(verticals.map { $0.x[0] }, [86.2, 100.9], panel.title)
            // Drawn at the predicted epoch, placed by the x ticks 100 and 200.
            let svg = panel.svg()
            let p100 = try tickPX(svg, "100")
            let perEpoch = (try tickPX(svg, "200") - p100) / 100
            let drawn = try verticalPX(svg)
            XCTAssertEqual(drawn.count, 2, panel.title)
            XCTAssertEqual(
                drawn[0], p100 + (86.2 - 100) * perEpoch, accuracy: 0.15, "multi at 86.2 (pixels written to 0.1)")
            XCTAssertEqual(drawn[1], p100 + (100.9 - 100) * perEpoch, accuracy: 0.15, "single at 100.9")
            let doc = try XCTUnwrap(SVGInspector.inspect(svg))
            XCTAssertTrue(doc.texts.contains("T₁ predicted, single") && doc.texts.contains("T₁ predicted, multi"))
            // In the colours of their modality's lines.
            XCTAssertEqual(verticals[0].color, panel.series.first { $0.name == "multi-modal" }?.color)
            XCTAssertEqual(verticals[1].color, panel.series.first { $0.name == "single-modal" }?.color)
        }
        XCTAssertTrue(
            caption?.contains("Lemma 5.2, single-modal: 100.9 epochs; Lemma 5.4, multi-modal: 86.2 epochs") == true,
            caption ?? "no caption")
        // The figure's data file lists the markers at their x.
        let html = try String(contentsOf: try writeReport(for: url), encoding: .utf8)
        XCTAssertTrue(html.contains("T₁ predicted, single"))
        let data = try CSVTable(
            contentsOf: url.appendingPathComponent(
                "report_data/01-figure-1-multi-modal-vs-single-modal-contrastive-learning.csv"))
        let markers = (0..<data.rows.count).map(data.row).filter { ($0["series"] ?? "").hasPrefix("T₁") }
        XCTAssertEqual(
            markers.map { [$0["panel"] ?? "", $0["series"] ?? "", $0["x"] ?? ""] },
            [
                ["(c) Signal learning", "T₁ predicted, multi", "86.2"],
                ["(c) Signal learning", "T₁ predicted, single", "100.9"],
                ["(d) Noise memorization", "T₁ predicted, multi", "86.2"],
                ["(d) Noise memorization", "T₁ predicted, single", "100.9"],
            ])
    }

    func testOlderFoldersWithoutPredictionsStillRenderFigureOne() throws {
        let url = dir.appendingPathComponent("older")
        try writeCompare(at: url, t1: nil)
        let (figure, caption) = try figure(url)
        XCTAssertEqual(figure.panels.count, 4)
        XCTAssertTrue(figure.panels.allSatisfy { $0.references.allSatisfy { !$0.isVertical } })
        XCTAssertEqual(figure.panels.map { $0.series.count }, [2, 2, 2, 2])
        XCTAssertFalse(caption?.contains("T₁") ?? true)
        let html = try String(contentsOf: try writeReport(for: url), encoding: .utf8)
        XCTAssertFalse(html.contains("T₁ predicted"))
        XCTAssertEqual(
            SVGInspector.chartTitles(in: html).first, "Figure 1 — multi-modal vs single-modal contrastive learning")
    }

    /// A prediction past the last epoch is not drawn (the axis is not widened for it) and the
    /// caption says so.
    func testAPredictionPastTheLastEpochIsNamedNotDrawn() throws {
        let url = dir.appendingPathComponent("late")
        try writeCompare(at: url, t1: T1Prediction(singleModal: 639, multiModal: 86.2))
        let (figure, caption) = try figure(url)
        let svg = figure.panels[2].svg()
        XCTAssertEqual(try verticalPX(svg).count, 1, "only multi is inside 0–200")
        XCTAssertFalse(svg.contains(">600</text>"), "the axis is not widened")
        XCTAssertTrue(caption?.contains("single past the last epoch: not drawn") == true, caption ?? "")
    }

    func testRunReportMarksT1OnItsSignalVsNoiseChart() throws {
        let run = dir.appendingPathComponent("run")
        try ReportFixtures.writeRun(at: run, mode: "single-modal", snr: 1, seed: 1)
        var s = ReportFixtures.summary(mode: "single-modal", seed: 1)
        s.t1Predicted = Self.known
        try RecordCoding.write(s, to: run.appendingPathComponent(RunSummary.file))
        let items = try RunFolderReport(folder: run).build().items
        let chart = try XCTUnwrap(
            items.lazy.compactMap { item -> LineChart? in
                if case .chart(let c, _) = item, let l = c as? LineChart,
                    l.title == "Signal learning vs noise memorization"
                {
                    return l
                }
                return nil
            }.first)
        XCTAssertEqual(chart.references.filter(\.isVertical).map { $0.x[0] }, [86.2, 100.9])
        XCTAssertEqual(try verticalPX(chart.svg()).count, 2)
        // Its summary table lists the recorded predictions.
        let html = try String(contentsOf: try writeReport(for: run), encoding: .utf8)
        XCTAssertTrue(html.contains("t1_predicted.single_modal"), "summary table row")
    }

    /// summary.json round-trips the prediction as a nested object (not a figure the tables chart),
    /// and a file without it (every older build's) reads back with none.
    func testSummaryRecordsThePredictionAndOlderFilesReadWithout() throws {
        var s = ReportFixtures.summary(mode: "multi-modal", seed: 1)
        s.t1Predicted = Self.known
        let text = try RecordCoding.text(s)
        XCTAssertTrue(text.contains("\"t1_predicted\" : {"), text)
        XCTAssertTrue(text.contains("\"multi_modal\" : 86.2"))
        let back = try RecordCoding.decode(RunSummary.self, from: Data(text.utf8), url: dir)
        XCTAssertEqual(back.t1Predicted, Self.known)
        let older = try RecordCoding.decode(
            RunSummary.self, from: Data(RunRecordsTests.summaryText.utf8), url: dir)
        XCTAssertNil(older.t1Predicted)
    }
}
