// BarChart: grouped bars with optional error bars (e.g. train/test accuracy per mode), as SVG.
import Foundation
import RunRecords

/// One colour of bars: one value per category.
public struct BarSeries {
    public var name: String
    public var values: [Double]
    /// Error bar ends per category (e.g. min and max over seeds); same length as `values`.
    public var low: [Double]?
    public var high: [Double]?
    public var color: String?

    public init(name: String, values: [Double], low: [Double]? = nil, high: [Double]? = nil, color: String? = nil) {
        self.name = name
        self.values = values
        self.low = low
        self.high = high
        self.color = color
    }
}

/// A grouped bar chart rendered to SVG: categories along x, one bar per series in each group.
public struct BarChart: Chart {
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var series: [BarSeries]
    /// Values the y axis must include; 0 by default so bar lengths compare honestly.
    public var yIncludes: [Double]
    /// Print each bar's value above it.
    public var showValues: Bool
    public var width: Double
    public var height: Double

    public init(
        title: String, subtitle: String? = nil, xLabel: String = "", yLabel: String,
        categories: [String], series: [BarSeries], yIncludes: [Double] = [0],
        showValues: Bool = true, width: Double = 600, height: Double = 380
    ) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.yIncludes = yIncludes
        self.showValues = showValues
        self.width = width
        self.height = height
    }

    public var dataRows: [ChartDataRow] {
        series.flatMap { s in
            categories.enumerated().compactMap { i, c in
                i < s.values.count
                    ? ChartDataRow(
                        series: s.name, x: c, y: s.values[i],
                        low: s.low.flatMap { i < $0.count ? $0[i] : nil },
                        high: s.high.flatMap { i < $0.count ? $0[i] : nil }) : nil
            }
        }
    }

    public func svg() -> String {
        var ys: [Double] = []
        for s in series { ys += s.values + (s.low ?? []) + (s.high ?? []) }
        let yt = AxisMap.ticks(values: ys, scale: .linear, explicit: nil, include: yIncludes)
        let yLabels = NiceTicks.labels(yt)
        let top = subtitle == nil ? 40.0 : 56.0
        let left = 30 + (yLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 20) + 8
        let legendWidth = series.isEmpty ? 0 : min(190, (series.map { SVG.textWidth($0.name) }.max() ?? 0) + 38)
        // Category labels may have two lines ("single" / "snr=0.5"), split at ", ".
        let catLines = categories.map { $0.components(separatedBy: ", ") }
        let maxLines = Double(min(3, catLines.map(\.count).max() ?? 1))
        let bottom = 30 + 14 * maxLines + (xLabel.isEmpty ? 0 : 4)
        let plotW = max(60, width - left - 16 - legendWidth)
        let plotH = max(60, height - top - bottom)
        let ym = AxisMap(scale: .linear, lo: yt.first ?? 0, hi: yt.last ?? 1, p0: top + plotH, p1: top)

        var body: [String] = []
        body += SVG.chartFrame(
            title: title, subtitle: subtitle, left: left, top: top, plotWidth: plotW, plotHeight: plotH)
        body += SVG.yGrid(yt, labels: yLabels, map: ym, left: left, plotWidth: plotW)
        let baseline = ym.px(min(max(0, yt.first ?? 0), yt.last ?? 0))
        let groupW = categories.isEmpty ? plotW : plotW / Double(categories.count)
        let barW = series.isEmpty ? 0 : groupW * 0.78 / Double(series.count)
        let showValues = self.showValues && barW >= 22
        for (c, lines) in catLines.enumerated() {
            let gx = left + groupW * Double(c)
            for (k, line) in lines.prefix(3).enumerated() {
                body.append(
                    SVG.text(
                        SVG.fit(line, maxWidth: groupW - 4, size: 11), x: gx + groupW / 2,
                        y: top + plotH + 16 + 14 * Double(k), size: 11, anchor: "middle", fill: "#333"))
            }
            for (i, s) in series.enumerated() {
                guard c < s.values.count else { continue }
                let color = s.color ?? Palette.color(i)
                let x = gx + groupW * 0.11 + barW * Double(i)
                let v = s.values[c]
                guard v.isFinite else {
                    body.append(
                        SVG.text("n/a", x: x + barW / 2, y: baseline - 4, size: 10, anchor: "middle", fill: "#999"))
                    continue
                }
                let py = ym.px(v)
                body.append(
                    "<rect x=\"\(SVG.n(x + 1))\" y=\"\(SVG.n(min(py, baseline)))\" width=\"\(SVG.n(max(1, barW - 2)))\" height=\"\(SVG.n(abs(baseline - py)))\" fill=\"\(color)\"><title>\(SVG.escape("\(s.name) · \(categories[c]): \(NumberText.display(v, digits: 4))"))</title></rect>"
                )
                var labelY = min(py, baseline) - 4
                if let lo = s.low?[safe: c], let hi = s.high?[safe: c], lo.isFinite, hi.isFinite {
                    let cx = x + barW / 2
                    body.append(SVG.line(cx, ym.px(lo), cx, ym.px(hi), stroke: "#222", width: 1.2))
                    body.append(SVG.line(cx - 4, ym.px(lo), cx + 4, ym.px(lo), stroke: "#222", width: 1.2))
                    body.append(SVG.line(cx - 4, ym.px(hi), cx + 4, ym.px(hi), stroke: "#222", width: 1.2))
                    labelY = min(labelY, ym.px(hi) - 4)
                }
                if showValues {
                    body.append(
                        SVG.text(
                            NumberText.display(v, digits: 3), x: x + barW / 2, y: labelY, size: 10, anchor: "middle",
                            fill: "#333"))
                }
            }
        }
        if !xLabel.isEmpty {
            body.append(SVG.text(xLabel, x: left + plotW / 2, y: height - 8, size: 12, anchor: "middle"))
        }
        let yMid = top + plotH / 2
        body.append(
            SVG.text(
                yLabel, x: 16, y: yMid, size: 12, anchor: "middle", extra: "transform=\"rotate(-90 16 \(SVG.n(yMid)))\""
            ))
        if series.allSatisfy({ $0.values.allSatisfy { !$0.isFinite } }) {
            body.append(
                SVG.text("no data", x: left + plotW / 2, y: top + plotH / 2, size: 14, anchor: "middle", fill: "#999"))
        }
        let lx = left + plotW + 14
        for (i, s) in series.enumerated() {
            let ly = top + 8 + 18 * Double(i)
            body.append(
                "<rect x=\"\(SVG.n(lx))\" y=\"\(SVG.n(ly - 6))\" width=\"14\" height=\"12\" fill=\"\(s.color ?? Palette.color(i))\"/>"
            )
            body.append(SVG.text(SVG.fit(s.name, maxWidth: legendWidth - 24), x: lx + 20, y: ly + 4, size: 12))
        }
        body.append("</svg>")
        return SVG.open(width: width, height: height, title: title) + "\n" + body.joined(separator: "\n")
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
