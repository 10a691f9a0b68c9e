// Tests of the SVG charts: well-formed XML, nice ticks covering the data, NaN gaps, legends, bars.
import Foundation
import RunRecords
import XCTest

@testable import Report

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A test's scratch folder under the temporary directory, shared by the Report tests that write
/// fixture folders; `REPORT_KEEP_FIXTURES=1` keeps it (e.g. to render the reports).
enum ReportScratch {
    /// Creates `<tmp>/<prefix>-<UUID>`.
    static func make(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes `dir`, or keeps it and says where when REPORT_KEEP_FIXTURES=1.
    static func remove(_ dir: URL?) {
        guard let dir else { return }
        if ProcessInfo.processInfo.environment["REPORT_KEEP_FIXTURES"] == "1" {
            print("kept report fixtures in \(dir.path)")
        } else {
            try? FileManager.default.removeItem(at: dir)
        }
    }
}

/// Parses SVG with XMLParser and records element names and text.
final class SVGInspector: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var texts: [String] = []
    var attributes: [[String: String]] = []
    private var current = ""
    private var depth = 0

    /// The titles (the <title> of each inline SVG, `&amp;` read back as `&`) of a report's
    /// charts, asserting that every inline SVG is well-formed XML.
    static func chartTitles(in html: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        var titles: [String] = []
        var rest = html[...]
        while let open = rest.range(of: "<svg "),
            let close = rest.range(of: "</svg>", range: open.upperBound..<rest.endIndex)
        {
            let svg = String(rest[open.lowerBound..<close.upperBound])
            if let t = svg.range(of: "<title>"), let e = svg.range(of: "</title>") {
                titles.append(String(svg[t.upperBound..<e.lowerBound]).replacingOccurrences(of: "&amp;", with: "&"))
            }
            XCTAssertNotNil(inspect(svg), "every inline SVG is well-formed", file: file, line: line)
            rest = rest[close.upperBound...]
        }
        return titles
    }

    static func inspect(_ svg: String) -> SVGInspector? {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        return parser.parse() ? inspector : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        elements[name, default: 0] += 1
        self.attributes.append(attributes.merging(["_element": name]) { a, _ in a })
        current = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(current) }
        current = ""
    }
}

final class ReportChartTests: XCTestCase {
    func testLinearTicksAreNiceAndCoverTheData() {
        let cases: [(Double, Double)] = [
            (0, 1), (0.013, 0.987), (-3.2, 7.9), (1, 200), (0.5, 0.5), (1234, 98765), (-1e-5, 3e-5), (0.1, 0.3),
            (99.5, 100.5),
        ]
        for (lo, hi) in cases {
            let t = NiceTicks.linear(min: lo, max: hi)
            XCTAssertGreaterThanOrEqual(t.count, 3, "\(lo)...\(hi): \(t)")
            XCTAssertLessThanOrEqual(t.count, 12, "\(lo)...\(hi): \(t)")
            XCTAssertLessThanOrEqual(t.first!, lo, "\(t) covers \(lo)")
            XCTAssertGreaterThanOrEqual(t.last!, hi, "\(t) covers \(hi)")
            let step = t[1] - t[0]
            let mantissa = step / pow(10, floor(log10(step)))
            XCTAssertTrue([1, 2, 2.5, 5].contains { abs($0 - mantissa) < 1e-6 }, "step \(step) of \(t) is nice")
            for (a, b) in zip(t, t.dropFirst()) { XCTAssertEqual(b - a, step, accuracy: step * 1e-9) }
            let labels = NiceTicks.labels(t)
            XCTAssertEqual(Set(labels).count, labels.count, "labels distinct: \(labels)")
        }
        XCTAssertEqual(NiceTicks.linear(min: 0, max: 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(NiceTicks.labels([0, 0.2, 0.4]), ["0.0", "0.2", "0.4"])
        XCTAssertEqual(NiceTicks.labels([0, 50, 100]), ["0", "50", "100"])
        XCTAssertEqual(NiceTicks.labels([1e-6, 2e-6]), ["1e-6", "2e-6"])
    }

    func testLogTicksCoverTheData() {
        XCTAssertEqual(NiceTicks.log(min: 2, max: 8), [2, 3, 5, 10])
        XCTAssertEqual(NiceTicks.log(min: 0.03, max: 4), [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5])
        XCTAssertEqual(NiceTicks.log(min: 0.03, max: 40), [0.01, 0.1, 1, 10, 100])
        let wide = NiceTicks.log(min: 3e-7, max: 2e6)
        XCTAssertLessThanOrEqual(wide.first!, 3e-7)
        XCTAssertGreaterThanOrEqual(wide.last!, 2e6)
        XCTAssertLessThanOrEqual(wide.count, 9)
    }

    func testLineChartIsWellFormedWithLegendBandsAndReferences() throws {
        let x = (0..<50).map(Double.init)
        let chart = LineChart(
            title: "Loss & <friends>", subtitle: "mean over 3 seeds", xLabel: "step", yLabel: "loss",
            series: [
                LineSeries(
                    name: "single-modal", x: x, y: x.map { exp(-$0 / 10) }, low: x.map { exp(-$0 / 10) * 0.9 },
                    high: x.map { exp(-$0 / 10) * 1.1 }),
                LineSeries(name: "multi \"modal\"", x: x, y: x.map { 1 / ($0 + 1) }),
            ],
            references: [.horizontal("floor", y: 0.05)])
        let svg = chart.svg()
        XCTAssertTrue(
            svg.hasPrefix(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"380\" viewBox=\"0 0 600 380\""))
        let doc = try XCTUnwrap(SVGInspector.inspect(svg), "SVG must parse as XML")
        XCTAssertTrue(doc.texts.contains("single-modal"))
        XCTAssertTrue(doc.texts.contains("multi \"modal\""))
        XCTAssertTrue(doc.texts.contains("floor"))
        XCTAssertTrue(doc.texts.contains("Loss & <friends>"))
        XCTAssertEqual(doc.elements["polygon"], 1, "one band")
        XCTAssertEqual(doc.elements["path"], 2, "one path per series")
        XCTAssertTrue(svg.contains("stroke-dasharray=\"6 4\""), "reference line is dashed")
        XCTAssertFalse(svg.contains("<script"))
        XCTAssertFalse(svg.lowercased().contains("nan"), "no NaN coordinates")
        // Rows exported: 50 per series, 1 for the reference.
        XCTAssertEqual(chart.dataRows.count, 101)
        XCTAssertEqual(chart.dataRows[0].low ?? 0, 0.9, accuracy: 1e-12)
        XCTAssertTrue(chart.dataCSV().hasPrefix("series,x,y,low,high\nsingle-modal,0.0,1.0,0.9,1.1\n"))
    }

    func testHeatmapShowsEveryCellWithItsValueAndAColourBar() throws {
        // 2 rows × 3 columns of a gap, one missing cell; diverging around 0.
        let chart = HeatmapChart(
            title: "Gap", xLabel: "snr", yLabel: "n", columns: ["0.05", "0.1", "0.2"], rows: ["50", "100"],
            values: [[0.1, -0.2, .nan], [0.4, 0.25, 0]],
            details: [["a", "b", "c"], ["min 0.3, max 0.5 over 3 seeds", "e", "f"]],
            valueLabel: "test accuracy gap", diverging: true)
        let svg = chart.svg()
        let doc = try XCTUnwrap(SVGInspector.inspect(svg), "SVG must parse as XML")
        for v in ["0.1", "-0.2", "0.4", "0.25", "n/a"] {
            XCTAssertTrue(doc.texts.contains(v), "cell value \(v) written")
        }
        XCTAssertTrue(
            doc.texts.contains("snr = 0.05, n = 100: test accuracy gap 0.4 (min 0.3, max 0.5 over 3 seeds)"),
            "hover title: \(doc.texts)")
        XCTAssertTrue(doc.texts.contains("test accuracy gap"), "colour bar label")
        // 6 cells + 32 colour-bar bands + frames and background.
        XCTAssertGreaterThanOrEqual(doc.elements["rect"] ?? 0, 6 + 32)
        XCTAssertEqual(chart.colorRange.lo, -0.4, accuracy: 1e-12, "diverging range symmetric around 0")
        XCTAssertEqual(chart.colorRange.hi, 0.4, accuracy: 1e-12)
        XCTAssertEqual(chart.color(0).fill, "#f7f7f7", "the centre is white")
        XCTAssertNotEqual(chart.color(0.4).fill, chart.color(-0.4).fill)
        XCTAssertEqual(chart.dataRows.count, 5, "the missing cell is not exported")
        XCTAssertFalse(svg.lowercased().contains("nan"))
    }

    func testNaNsMakeGapsNotCrashes() throws {
        let x: [Double] = [0, 1, 2, 3, 4, 5, 6, 7]
        let y: [Double] = [1, 2, .nan, 4, 5, .infinity, 7, .nan]
        let chart = LineChart(
            title: "gaps", xLabel: "x", yLabel: "y",
            series: [
                LineSeries(name: "a", x: x, y: y, low: y.map { $0 - 0.5 }, high: y.map { $0 + 0.5 }, markers: false)
            ])
        let svg = chart.svg()
        let doc = try XCTUnwrap(SVGInspector.inspect(svg))
        XCTAssertEqual(doc.elements["path"], 2, "segments [0,1] and [3,4]; [6] is isolated")
        XCTAssertEqual(doc.elements["circle"], 1, "the isolated point gets a marker")
        XCTAssertEqual(doc.elements["polygon"], 2)
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))

        // Log axes drop non-positive values.
        let logChart = LineChart(
            title: "log", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log,
            series: [LineSeries(name: "b", x: [0, 1, 10, 100], y: [1, -1, 10, 100], markers: false)])
        let logDoc = try XCTUnwrap(SVGInspector.inspect(logChart.svg()))
        XCTAssertEqual(logDoc.elements["path"], 1)
        XCTAssertTrue(logDoc.texts.contains("100"))

        // All-NaN and empty charts render with a "no data" note.
        for c in [
            LineChart(title: "empty", xLabel: "x", yLabel: "y"),
            LineChart(
                title: "allnan", xLabel: "x", yLabel: "y", series: [LineSeries(name: "n", x: [1, 2], y: [.nan, .nan])]),
        ] {
            let d = try XCTUnwrap(SVGInspector.inspect(c.svg()))
            XCTAssertTrue(d.texts.contains("no data"))
        }
    }

    func testTickLabelsAppearAndPointsStayInsideThePlot() throws {
        let chart = LineChart(
            title: "t", xLabel: "step", yLabel: "acc",
            series: [LineSeries(name: "s", x: [0, 100, 200], y: [0.5, 0.75, 0.98])],
            yIncludes: [0, 1])
        let doc = try XCTUnwrap(SVGInspector.inspect(chart.svg()))
        for label in ["0", "50", "100", "150", "200", "0.0", "0.2", "1.0"] {
            XCTAssertTrue(doc.texts.contains(label), "tick label \(label)")
        }
        let circles = doc.attributes.filter { $0["_element"] == "circle" }
        XCTAssertEqual(circles.count, 3)
        for c in circles {
            let cx = Double(c["cx"] ?? "") ?? -1
            let cy = Double(c["cy"] ?? "") ?? -1
            XCTAssertTrue((0...600).contains(cx) && (0...380).contains(cy))
        }
    }

    func testBarChartGroupsBarsWithErrorBars() throws {
        let chart = BarChart(
            title: "Accuracy", yLabel: "accuracy", categories: ["single", "multi"],
            series: [
                BarSeries(name: "train", values: [0.88, 0.87], low: [0.85, 0.84], high: [0.9, 0.9]),
                BarSeries(name: "test", values: [0.13, .nan]),
            ], yIncludes: [0, 1])
        let svg = chart.svg()
        let doc = try XCTUnwrap(SVGInspector.inspect(svg))
        let bars = doc.attributes.filter {
            $0["_element"] == "rect" && $0["fill"] != "#ffffff" && $0["fill"] != "#fbfbfb" && $0["width"] != "14"
        }
        XCTAssertEqual(bars.count, 3, "three finite bars")
        XCTAssertTrue(doc.texts.contains("n/a"))
        XCTAssertTrue(doc.texts.contains("train") && doc.texts.contains("test"))
        XCTAssertEqual(doc.elements["line"].map { $0 >= 6 + 6 }, true, "grid lines plus 2 error bars with caps")
        XCTAssertEqual(chart.dataRows.count, 4)
        // Bar heights are proportional to the values (baseline 0); order: single/train, single/test, multi/train.
        let h = bars.compactMap { Double($0["height"] ?? "") }
        XCTAssertEqual(h[0] / h[1], 0.88 / 0.13, accuracy: 0.05)
        XCTAssertEqual(h[0] / h[2], 0.88 / 0.87, accuracy: 0.01)
    }

    func testClipPathIdsDifferBetweenCharts() {
        let a = LineChart(title: "A", xLabel: "x", yLabel: "y", series: [LineSeries(name: "s", x: [1, 2], y: [1, 2])])
            .svg()
        let b = LineChart(title: "B", xLabel: "x", yLabel: "y", series: [LineSeries(name: "s", x: [1, 2], y: [1, 3])])
            .svg()
        func clip(_ s: String) -> String? {
            s.range(of: "clipPath id=\"[^\"]+\"", options: .regularExpression).map { String(s[$0]) }
        }
        XCTAssertNotNil(clip(a))
        XCTAssertNotEqual(clip(a), clip(b))
    }
}
