// Tests of the report of a compare run and of a sweep over seeds and modes: Huang et al.'s Figure 1
// first (four panels against the epoch, one line per mode, mean ± 1σ over seeds), no chart of a
// constant figure (named in one line instead), timings in their own section after the science,
// and a page that never scrolls sideways at 1300 px (a pure check of the HTML and CSS, and a
// rendered check in headless Chromium when it is installed).
import Foundation
import XCTest
@testable import Report
import RunRecords

final class ReportFigureOneTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ReportScratch.make("report-figure1") }

    override func tearDownWithError() throws { ReportScratch.remove(dir) }

    static let figureTitle = "Figure 1 — multi-modal vs single-modal contrastive learning"

    /// A sweep like `infomax sweep --grid seed=…` of the default (compare) config: grid keys seed
    /// and mode, signal-noise summaries with the constant figures the trainer writes
    /// (diagnostics_samples, an all-zero noise_memorization_se). Seeds nil: a compare run
    /// (`infomax train`), whose sweep.json has the mode alone.
    private func writeCompare(at url: URL, seeds: [Int]?) throws {
        var points: [JSONValue] = []
        for seed in seeds ?? [1] {
            for mode in ["multi-modal", "single-modal"] {
                let name = seeds == nil ? mode : "seed-\(seed)_mode-\(mode)"
                var values: [(key: String, value: JSONValue)] = [("mode", .string(mode))]
                if seeds != nil { values.insert(("seed", .number(Double(seed))), at: 0) }
                points.append(["name": .string(name), "values": .object(values), "folder": .string("points/\(name)")])
                let run = url.appendingPathComponent("points/\(name)")
                try ReportFixtures.writeRun(at: run, mode: mode, snr: 1, seed: seed)
                var s = ReportFixtures.summary(mode: mode, seed: seed, ranks: 2,
                                               secondsPerStep: 0.01 + Double(seed) * 0.001)
                s.finalLoss = 0.1 + Double(seed) * 0.01
                s.testAccuracy = mode == "multi-modal" ? 0.97 + Double(seed) * 0.01 : 0.55
                s.trainAccuracy = 1
                s.signalLearning = (mode == "multi-modal" ? 3 : 0.6) + Double(seed) * 0.01
                s.noiseMemorization = (mode == "multi-modal" ? 0.4 : 2.5) + Double(seed) * 0.01
                s.noiseMemorizationSe = 0
                s.diagnosticsSamples = 100
                s.loggingSeconds = 0.05 + Double(seed) * 0.001
                try RecordCoding.write(s, to: run.appendingPathComponent(RunSummary.file))
            }
        }
        let parameters: [JSONValue] = seeds == nil ? ["mode"] : ["seed", "mode"]
        let sweep: JSONValue = ["parameters": .array(parameters), "points": .array(points)]
        try AtomicFile.write(sweep.serialized(), to: url.appendingPathComponent("sweep.json"))
    }

    private func rows(_ t: CSVTable) -> [CSVTable.Row] { (0..<t.rows.count).map(t.row) }

    func testSweepOverSeedsDrawsFigureOneFirstWithSigmaBands() throws {
        let sweep = dir.appendingPathComponent("seeds")
        try writeCompare(at: sweep, seeds: [1, 2, 3])
        let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
        let titles = SVGInspector.chartTitles(in: html)
        XCTAssertEqual(titles.first, Self.figureTitle, "Figure 1 is the report's first figure")
        XCTAssertTrue(html.contains("<h2>Figure 1 (Huang et al., NeurIPS 2024)</h2>"))
        XCTAssertTrue(html.contains("<figure class=\"wide\">"), "the figure spans the whole row")

        // Four panels in one SVG, lettered as the paper's, against the epoch, one line per mode.
        let start = try XCTUnwrap(html.range(of: "<svg "))
        let end = try XCTUnwrap(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        let svg = String(html[start.lowerBound..<end.upperBound])
        let inspector = try XCTUnwrap(SVGInspector.inspect(svg))
        XCTAssertEqual(svg.components(separatedBy: "<g transform=\"translate(").count - 1, 4, "four panels")
        for panel in ["(a) Training loss", "(b) Test accuracy (OOD)", "(c) Signal learning", "(d) Noise memorization"] {
            XCTAssertTrue(inspector.texts.contains(panel), panel)
        }
        XCTAssertEqual(inspector.texts.filter { $0 == "epoch" }.count, 4, "x axis: the epoch")
        XCTAssertTrue(inspector.texts.contains("multi-modal") && inspector.texts.contains("single-modal"), "legend")
        XCTAssertTrue(html.contains(
            "lines = mean over 3 seeds; shaded bands = mean ± 1 standard deviation over seeds"))

        // Its data: panel,series,x,y,low,high; loss at epoch 0 is 1.5 + 0.01·seed: mean 1.52, s.d. 0.01.
        let data = try CSVTable(contentsOf: sweep.appendingPathComponent(
            "report_data/01-figure-1-multi-modal-vs-single-modal-contrastive-learning.csv"))
        XCTAssertEqual(data.header, ["panel", "series", "x", "y", "low", "high"])
        XCTAssertEqual(Set(data.strings("panel") ?? []).count, 4)
        XCTAssertEqual(Set(data.strings("series") ?? []), ["multi-modal", "single-modal", "chance (0.5)"])
        let loss0 = try XCTUnwrap(rows(data).first {
            $0["panel"] == "(a) Training loss" && $0["series"] == "multi-modal" && $0.number("x") == 0
        })
        XCTAssertEqual(loss0.number("y") ?? 0, 1.52, accuracy: 1e-12)
        XCTAssertEqual(loss0.number("low") ?? 0, 1.51, accuracy: 1e-12)
        XCTAssertEqual(loss0.number("high") ?? 0, 1.53, accuracy: 1e-12)
        // Test accuracy is logged every 50 epochs: 5 points per mode.
        let accuracy = rows(data).filter { $0["panel"] == "(b) Test accuracy (OOD)" && $0["series"] == "single-modal" }
        XCTAssertEqual(accuracy.count, 5)

        // No chart of a constant figure; they are named in one line.
        for constant in ["Learning rate", "Diagnostics samples", "Noise memorization se"] {
            XCTAssertFalse(titles.contains { $0.hasPrefix(constant) }, "\(constant) is constant: no chart")
        }
        // The final train accuracy is 1 at every point: the accuracy bars show the test accuracy only.
        let bars = try XCTUnwrap(titles.firstIndex(of: "Final accuracy per setting"))
        let barData = try CSVTable(contentsOf: sweep.appendingPathComponent(
            String(format: "report_data/%02d-final-accuracy-per-setting.csv", bars + 1)))
        XCTAssertEqual(Set(barData.strings("series") ?? []), ["test"])
        XCTAssertTrue(html.contains("Constant along training in every run (not charted): learning_rate = 0.01"))
        XCTAssertTrue(html.contains("The same at every point (not charted): train_accuracy = 1, "
            + "diagnostics_samples = 100, noise_memorization_se = 0"), "summary constants")
        // Figure 1's curves are not drawn a second time.
        XCTAssertFalse(titles.contains("Training loss during training"))

        // Timings: a section of their own after the science, before the table of every point.
        let sections = html.components(separatedBy: "<h2>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        XCTAssertEqual(sections, ["Figure 1 (Huang et al., NeurIPS 2024)", "Final results",
                                  "Training curves per setting", "Timings", "All points"])
        let timingPart = try XCTUnwrap(html.components(separatedBy: "<h2>Timings</h2>").last)
        let timingTitles = SVGInspector.chartTitles(in: timingPart.components(separatedBy: "<h2>").first ?? "")
        XCTAssertEqual(timingTitles, ["Time per step per setting", "Compute time during training",
                                      "Communication time during training"])
        let sciencePart = html.components(separatedBy: "<h2>Timings</h2>").first ?? ""
        XCTAssertFalse(SVGInspector.chartTitles(in: sciencePart).contains { $0.lowercased().contains("time") },
                       "no timing chart among the science")

        // One CSV per chart, each linked.
        let dataPath = sweep.appendingPathComponent("report_data").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dataPath).filter { $0.hasSuffix(".csv") }
        XCTAssertEqual(files.count, titles.count)
        for f in files { XCTAssertTrue(html.contains("report_data/\(f)"), f) }
    }

    func testCompareRunWithOneSeedDrawsTheLinesWithoutBands() throws {
        let run = dir.appendingPathComponent("compare")
        try writeCompare(at: run, seeds: nil)
        let report = RunFolderReport(folder: run)
        let items = try report.build().items
        let figure = try XCTUnwrap(items.lazy.compactMap { item -> PanelFigure? in
            if case let .chart(chart, _) = item { return chart as? PanelFigure }
            return nil
        }.first)
        XCTAssertEqual(figure.title, Self.figureTitle)
        XCTAssertEqual(figure.panels.count, 4)
        for panel in figure.panels {
            XCTAssertEqual(panel.series.map(\.name), ["multi-modal", "single-modal"])
            XCTAssertTrue(panel.series.allSatisfy { $0.low == nil && $0.high == nil }, "one seed: no band")
        }
        let html = try String(contentsOf: try report.write(), encoding: .utf8)
        XCTAssertEqual(SVGInspector.chartTitles(in: html).first, Self.figureTitle)
        XCTAssertTrue(html.contains("one seed per modality: each line is that run (no band)"))

        // Writing the report again never removes a file it did not write, even one named like
        // its charts (testRewrittenReportRemovesOnlyItsOwnStaleChartData: what it does remove).
        let data = run.appendingPathComponent("report_data")
        try AtomicFile.write("series,x,y,low,high\n", to: data.appendingPathComponent("99-my-chart.csv"))
        try AtomicFile.write("mine", to: data.appendingPathComponent("notes.csv"))
        try report.write()
        let files = try FileManager.default.contentsOfDirectory(atPath: data.path)
        XCTAssertTrue(files.contains("99-my-chart.csv"))
        XCTAssertTrue(files.contains("notes.csv"))
        XCTAssertEqual(files.filter { $0.first?.isNumber == true && $0 != "99-my-chart.csv" }.count,
                       SVGInspector.chartTitles(in: html).count)
    }

    func testConstantNeedsTwoEqualNumbers() {
        XCTAssertEqual(ConstantFigures.value([0.01, nil, 0.01, .nan, 0.01]), 0.01)
        XCTAssertNil(ConstantFigures.value([0.5]), "a lone value is charted")
        XCTAssertNil(ConstantFigures.value([0, 1e-12]))
        XCTAssertNil(ConstantFigures.value([nil, .nan]))
        var c = ConstantFigures()
        XCTAssertTrue(c.check("learning_rate", [0.009999999776482582, 0.009999999776482582]))
        XCTAssertFalse(c.check("loss", [1, 0.5]))
        XCTAssertTrue(c.check("diagnostics_samples", [100, 100]))
        XCTAssertEqual(c.line("constant"), "constant: learning_rate = 0.01, diagnostics_samples = 100")
    }

    /// A pure check that the page cannot be wider than the window: a page scrolls sideways only
    /// when a box is wider than its container. The report's boxes of fixed width are the SVGs
    /// (width attributes), which CSS scales to their figure; its content-sized boxes are tables,
    /// which sit in a box that scrolls on its own; the chart grid's tracks are at most 100% wide.
    /// So: no CSS width in px above the page, every SVG inside a figure, every table inside the
    /// scrolling box.
    func testNoBoxIsWiderThanThePage() throws {
        let sweep = dir.appendingPathComponent("layout")
        try writeCompare(at: sweep, seeds: [1, 2, 3])
        let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
        let css = HTMLReport.css
        XCTAssertTrue(css.contains("figure svg{width:100%;height:auto"))
        XCTAssertTrue(css.contains("minmax(min(520px,100%),1fr)"), "grid tracks never wider than the page")
        XCTAssertTrue(css.contains(".table-wrap{max-width:100%;overflow-x:auto}"))
        let widths = try NSRegularExpression(pattern: "(^|[{;])(min-)?width:([0-9]+)px")
        for m in widths.matches(in: css, range: NSRange(css.startIndex..., in: css)) {
            let px = Int((css as NSString).substring(with: m.range(at: 3))) ?? .max
            XCTAssertLessThanOrEqual(px, 1300 - 64, "a fixed width above the page's content width")
        }
        XCTAssertEqual(html.components(separatedBy: "<table>").count,
                       html.components(separatedBy: "<div class=\"table-wrap\"><table>").count,
                       "every table scrolls in its box")
        XCTAssertEqual(html.components(separatedBy: "<svg ").count,
                       html.components(separatedBy: ">\n<svg ").count, "every SVG opens a figure")
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1,
                       html.components(separatedBy: "<figure").count - 1, "one SVG per figure")
    }

    /// Renders the report in headless Chromium at 1300 × 900 and reads the page's scrollWidth;
    /// skipped (with the reason) when no Chromium is installed.
    func testRenderedPageDoesNotScrollSidewaysAt1300px() throws {
        let candidates = ["chromium", "chromium-browser", "google-chrome"]
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let browser = candidates.lazy.flatMap { name in path.split(separator: ":").map { "\($0)/\(name)" } }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else {
            throw XCTSkip("no chromium on PATH (apt-get install chromium): the rendered width is not checked; "
                + "testNoBoxIsWiderThanThePage checks the HTML and CSS")
        }
        let sweep = dir.appendingPathComponent("rendered")
        try writeCompare(at: sweep, seeds: [1, 2, 3])
        let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
        // A copy of the page with a script that writes the measured widths into the DOM.
        let probe = "<script>window.addEventListener('load',function(){var p=document.createElement('pre');"
            + "p.id='probe';p.textContent='SCROLLWIDTH='+document.documentElement.scrollWidth+';';"
            + "document.body.appendChild(p);});</script></body>"
        let page = sweep.appendingPathComponent("probe.html")
        try AtomicFile.write(html.replacingOccurrences(of: "</body>", with: probe), to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1300,900",
                             "--virtual-time-budget=3000", "--dump-dom", page.absoluteString]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let r = dom.range(of: "<pre id=\"probe\">SCROLLWIDTH="),
              let end = dom[r.upperBound...].firstIndex(of: ";"),
              let width = Int(dom[r.upperBound..<end]) else {
            return XCTFail("\(browser) printed no measurement (exit \(process.terminationStatus))")
        }
        print("rendered at 1300 px: scrollWidth \(width)")
        XCTAssertLessThanOrEqual(width, 1300, "the page scrolls sideways at 1300 px")
    }

    /// A report written again removes the chart CSVs the previous one listed and no longer
    /// draws, and never a file it did not write (a person's own CSV in the data folder).
    func testRewrittenReportRemovesOnlyItsOwnStaleChartData() throws {
        let sweep = dir.appendingPathComponent("rewrite")
        try writeCompare(at: sweep, seeds: [1, 2, 3])
        let page = try writeReport(for: sweep)
        let folder = URL(fileURLWithPath: page.deletingPathExtension().path + "_data")
        let fm = FileManager.default
        let own = try fm.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
        XCTAssertFalse(own.isEmpty)
        let stale = "98-a-chart-no-longer-drawn.csv", mine = "99-my-own-notes.csv"
        try AtomicFile.write("x\n", to: folder.appendingPathComponent(stale))
        try AtomicFile.write("y\n", to: folder.appendingPathComponent(mine))
        let manifest = folder.appendingPathComponent(".infomax-report-files")
        let listed = try String(contentsOf: manifest, encoding: .utf8)
        try AtomicFile.write(listed + stale + "\n", to: manifest)
        _ = try writeReport(for: sweep)
        XCTAssertFalse(fm.fileExists(atPath: folder.appendingPathComponent(stale).path), "the report's own stale CSV")
        XCTAssertTrue(fm.fileExists(atPath: folder.appendingPathComponent(mine).path), "a file the report did not write")
        let after = try fm.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") && $0 != mine }
        XCTAssertEqual(Set(after), Set(own))
    }
}
