// StackedBarChart: one bar per category made of stacked segments (e.g. the phases of a training
// step per rank count), with an optional marker per bar for a measured total, as SVG.
import Foundation
import RunRecords

/// A stacked bar chart rendered to SVG: categories along x, each bar the sum of `segments`
/// (bottom to top in the given order). Non-finite and negative segment values draw nothing.
public struct StackedBarChart: Chart {
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    /// One layer of every bar; `values[i]` belongs to `categories[i]`.
    public var segments: [BarSeries]
    /// A measured total per category drawn as a black tick over the bar (e.g. the step time,
    /// which need not equal the sum of the segments); nil for none.
    public var totals: [Double]?
    public var totalName: String
    public var width: Double
    public var height: Double

    public init(
        title: String, subtitle: String? = nil, xLabel: String = "", yLabel: String, categories: [String],
        segments: [BarSeries], totals: [Double]? = nil, totalName: String = "total",
        width: Double = 600, height: Double = 380
    ) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.segments = segments
        self.totals = totals
        self.totalName = totalName
        self.width = width
        self.height = height
    }

    private func value(_ s: BarSeries, _ c: Int) -> Double? {
        guard let v = s.values[safe: c], v.isFinite, v > 0 else { return nil }
        return v
    }

    /// Height of the stack of category `c`.
    func stackHeight(_ c: Int) -> Double { segments.reduce(0) { $0 + (value($1, c) ?? 0) } }

    public var dataRows: [ChartDataRow] {
        var rows: [ChartDataRow] = []
        for s in segments {
            for (i, c) in categories.enumerated() where i < s.values.count {
                rows.append(ChartDataRow(series: s.name, x: c, y: s.values[i]))
            }
        }
        if let totals {
            for (i, c) in categories.enumerated() where i < totals.count {
                rows.append(ChartDataRow(series: totalName, x: c, y: totals[i]))
            }
        }
        return rows
    }

    public func svg() -> String {
        let tops = categories.indices.map(stackHeight) + (totals ?? []).filter { $0.isFinite }
        // Head room above the tallest bar for its value label.
        let yt = AxisMap.ticks(
            values: tops, scale: .linear, explicit: nil, include: [0, (tops.filter(\.isFinite).max() ?? 0) * 1.08])
        let yLabels = NiceTicks.labels(yt)
        let top = subtitle == nil ? 40.0 : 56.0
        let left = 30 + (yLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 20) + 8
        var legend: [(name: String, color: String, tick: Bool)] = segments.enumerated().map { i, s in
            (s.name, s.color ?? Palette.color(i), false)
        }
        legend.reverse()  // top layer first, as the bars read
        if totals != nil { legend.insert((totalName, "#222222", true), at: 0) }
        let legendWidth = legend.isEmpty ? 0 : min(190, (legend.map { SVG.textWidth($0.name) }.max() ?? 0) + 38)
        let bottom = 46.0 + (xLabel.isEmpty ? 0 : 4)
        let plotW = max(60, width - left - 16 - legendWidth)
        let plotH = max(60, height - top - bottom)
        let ym = AxisMap(scale: .linear, lo: yt.first ?? 0, hi: yt.last ?? 1, p0: top + plotH, p1: top)

        var body: [String] = []
        body += SVG.chartFrame(
            title: title, subtitle: subtitle, left: left, top: top, plotWidth: plotW, plotHeight: plotH)
        body += SVG.yGrid(yt, labels: yLabels, map: ym, left: left, plotWidth: plotW)
        let groupW = categories.isEmpty ? plotW : plotW / Double(categories.count)
        let barW = min(90, groupW * 0.6)
        for (c, category) in categories.enumerated() {
            let cx = left + groupW * (Double(c) + 0.5)
            body.append(
                SVG.text(
                    SVG.fit(category, maxWidth: groupW - 4, size: 11), x: cx, y: top + plotH + 16, size: 11,
                    anchor: "middle", fill: "#333"))
            var base = 0.0
            for (i, s) in segments.enumerated() {
                guard let v = value(s, c) else { continue }
                let y0 = ym.px(base)
                let y1 = ym.px(base + v)
                let tip = "\(s.name) · \(category): \(NumberText.display(v, digits: 4))"
                body.append(
                    "<rect x=\"\(SVG.n(cx - barW / 2))\" y=\"\(SVG.n(y1))\" width=\"\(SVG.n(barW))\" height=\"\(SVG.n(max(0, y0 - y1)))\" "
                        + "fill=\"\(s.color ?? Palette.color(i))\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>\(SVG.escape(tip))</title></rect>"
                )
                base += v
            }
            var labelY = ym.px(base) - 4
            if let t = totals?[safe: c], t.isFinite {
                let py = ym.px(t)
                body.append(SVG.line(cx - barW / 2 - 5, py, cx + barW / 2 + 5, py, stroke: "#222222", width: 2.5))
                labelY = min(labelY, py - 5)
                body.append(
                    SVG.text(
                        NumberText.display(t, digits: 3), x: cx, y: labelY, size: 10, anchor: "middle", fill: "#222"))
            } else if base > 0 {
                body.append(
                    SVG.text(
                        NumberText.display(base, digits: 3), x: cx, y: labelY, size: 10, anchor: "middle", fill: "#333")
                )
            }
        }
        if !xLabel.isEmpty {
            body.append(SVG.text(xLabel, x: left + plotW / 2, y: height - 10, size: 12, anchor: "middle"))
        }
        let yMid = top + plotH / 2
        body.append(
            SVG.text(
                yLabel, x: 16, y: yMid, size: 12, anchor: "middle", extra: "transform=\"rotate(-90 16 \(SVG.n(yMid)))\""
            ))
        if tops.allSatisfy({ !($0 > 0) }) {
            body.append(
                SVG.text("no data", x: left + plotW / 2, y: top + plotH / 2, size: 14, anchor: "middle", fill: "#999"))
        }
        let lx = left + plotW + 14
        for (i, e) in legend.enumerated() {
            let ly = top + 8 + 18 * Double(i)
            if e.tick {
                body.append(SVG.line(lx, ly, lx + 14, ly, stroke: e.color, width: 2.5))
            } else {
                body.append(
                    "<rect x=\"\(SVG.n(lx))\" y=\"\(SVG.n(ly - 6))\" width=\"14\" height=\"12\" fill=\"\(e.color)\"/>")
            }
            body.append(SVG.text(SVG.fit(e.name, maxWidth: legendWidth - 24), x: lx + 20, y: ly + 4, size: 12))
        }
        body.append("</svg>")
        return SVG.open(width: width, height: height, title: title) + "\n" + body.joined(separator: "\n")
    }
}
