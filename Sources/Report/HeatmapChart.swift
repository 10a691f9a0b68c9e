// HeatmapChart: a metric over two grid keys as a coloured grid (e.g. test-accuracy gap over
// SNR × n), with a colour bar, each cell's value written in it and in its hover title, as SVG.
import Foundation
import RunRecords

/// A coloured grid: `values[row][column]` (NaN = no data) with labelled rows and columns.
public struct HeatmapChart: Chart {
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    /// Column labels (left to right) and row labels (bottom to top).
    public var columns: [String]
    public var rows: [String]
    /// `values[r][c]`: the cell of row r and column c.
    public var values: [[Double]]
    /// Optional per-cell extra text for the hover title (e.g. "min 0.50, max 0.62 over 3 seeds").
    public var details: [[String]]?
    /// What a value means (the colour bar's label).
    public var valueLabel: String
    /// Colour range; nil = the data's range. With `diverging`, symmetric around `center`.
    public var range: (lo: Double, hi: Double)?
    /// A diverging scale (blue below `center`, white at it, red above): for differences.
    public var diverging: Bool
    public var center: Double
    public var width: Double
    public var height: Double

    public init(
        title: String, subtitle: String? = nil, xLabel: String, yLabel: String, columns: [String], rows: [String],
        values: [[Double]], details: [[String]]? = nil, valueLabel: String, range: (lo: Double, hi: Double)? = nil,
        diverging: Bool = false, center: Double = 0, width: Double = 640, height: Double = 420
    ) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.columns = columns
        self.rows = rows
        self.values = values
        self.details = details
        self.valueLabel = valueLabel
        self.range = range
        self.diverging = diverging
        self.center = center
        self.width = width
        self.height = height
    }

    /// One row per cell: series = the row label, x = the column label, y = the value.
    public var dataRows: [ChartDataRow] {
        rows.enumerated().flatMap { r, row in
            columns.enumerated().compactMap { c, col in
                guard let v = values[safe: r]?[safe: c], v.isFinite else { return nil }
                return ChartDataRow(series: "\(yLabel)=\(row)", x: col, y: v)
            }
        }
    }

    /// The colour range actually used.
    public var colorRange: (lo: Double, hi: Double) {
        if let range { return range }
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        if diverging {
            let m = max(abs(lo - center), abs(hi - center), 1e-12)
            return (center - m, center + m)
        }
        return hi > lo ? (lo, hi) : (lo - 0.5, hi + 0.5)
    }

    /// The fill colour of `v` (hex), and whether text on it should be white.
    public func color(_ v: Double) -> (fill: String, darkBackground: Bool) {
        guard v.isFinite else { return ("#eeeeee", false) }
        let (lo, hi) = colorRange
        let t = hi > lo ? min(max((v - lo) / (hi - lo), 0), 1) : 0.5
        let stops: [(Double, (Double, Double, Double))] =
            diverging
            // blue – white – red (ColorBrewer RdBu, reversed)
            ? [
                (0, (33, 102, 172)), (0.25, (103, 169, 207)), (0.5, (247, 247, 247)), (0.75, (239, 138, 98)),
                (1, (178, 24, 43)),
            ]
            // viridis
            : [
                (0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
                (1, (253, 231, 37)),
            ]
        var k = 0
        while k < stops.count - 2 && t > stops[k + 1].0 { k += 1 }
        let (t0, a) = stops[k]
        let (t1, b) = stops[k + 1]
        let u = t1 > t0 ? (t - t0) / (t1 - t0) : 0
        let rgb = (a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u, a.2 + (b.2 - a.2) * u)
        let luminance = 0.299 * rgb.0 + 0.587 * rgb.1 + 0.114 * rgb.2
        return (
            String(format: "#%02x%02x%02x", Int(rgb.0.rounded()), Int(rgb.1.rounded()), Int(rgb.2.rounded())),
            luminance < 128
        )
    }

    public func svg() -> String {
        let top = subtitle == nil ? 40.0 : 56.0
        let left = 34 + (rows.map { SVG.textWidth($0, size: 11) }.max() ?? 20) + 8
        let barW = 16.0
        let barGap = 18.0
        let (lo, hi) = colorRange
        let barTicks = NiceTicks.linear(min: lo, max: hi).filter { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 }
        let barLabels = NiceTicks.labels(barTicks)
        let barLabelW = (barLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 20) + 26
        let bottom = 34 + (xLabel.isEmpty ? 0 : 14.0)
        let plotW = max(60, width - left - barGap - barW - barLabelW - 10)
        let plotH = max(60, height - top - bottom)
        let cw = columns.isEmpty ? plotW : plotW / Double(columns.count)
        let ch = rows.isEmpty ? plotH : plotH / Double(rows.count)

        var body: [String] = []
        body.append(SVG.text(title, x: left, y: 24, size: 15, weight: "bold"))
        if let subtitle { body.append(SVG.text(subtitle, x: left, y: 42, size: 11.5, fill: "#555")) }
        let valueSize = min(12, max(8, min(cw / 4.2, ch / 2.2)))
        for (r, row) in rows.enumerated() {
            // Row 0 at the bottom, as on a y axis.
            let y = top + plotH - ch * Double(r + 1)
            body.append(
                SVG.text(
                    SVG.fit(row, maxWidth: left - 40, size: 11), x: left - 6, y: y + ch / 2 + 4, size: 11,
                    anchor: "end", fill: "#444"))
            for (c, col) in columns.enumerated() {
                let x = left + cw * Double(c)
                let v = values[safe: r]?[safe: c] ?? .nan
                let (fill, dark) = color(v)
                let shown = v.isFinite ? NumberText.display(v, digits: 3) : "n/a"
                var tip = "\(xLabel) = \(col), \(yLabel) = \(row): \(valueLabel) \(shown)"
                if let d = details?[safe: r]?[safe: c], !d.isEmpty { tip += " (\(d))" }
                body.append(
                    "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(cw))\" height=\"\(SVG.n(ch))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"><title>\(SVG.escape(tip))</title></rect>"
                )
                if cw >= 24 && ch >= 12 {
                    body.append(
                        SVG.text(
                            shown, x: x + cw / 2, y: y + ch / 2 + valueSize * 0.35, size: valueSize, anchor: "middle",
                            fill: dark ? "#ffffff" : "#222222", extra: "pointer-events=\"none\""))
                }
            }
        }
        for (c, col) in columns.enumerated() {
            body.append(
                SVG.text(
                    SVG.fit(col, maxWidth: cw - 2, size: 11), x: left + cw * (Double(c) + 0.5), y: top + plotH + 16,
                    size: 11, anchor: "middle", fill: "#444"))
        }
        body.append(
            "<rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(plotW))\" height=\"\(SVG.n(plotH))\" fill=\"none\" stroke=\"#bbbbbb\"/>"
        )
        if !xLabel.isEmpty {
            body.append(SVG.text(xLabel, x: left + plotW / 2, y: height - 8, size: 12, anchor: "middle"))
        }
        let yMid = top + plotH / 2
        body.append(
            SVG.text(
                yLabel, x: 16, y: yMid, size: 12, anchor: "middle", extra: "transform=\"rotate(-90 16 \(SVG.n(yMid)))\""
            ))

        // The colour bar: 32 bands from lo (bottom) to hi (top), ticks on the right.
        let bx = left + plotW + barGap
        let bands = 32
        for i in 0..<bands {
            let v0 = lo + (hi - lo) * Double(i) / Double(bands)
            let v1 = lo + (hi - lo) * Double(i + 1) / Double(bands)
            let y1 = top + plotH * (1 - Double(i + 1) / Double(bands))
            body.append(
                "<rect x=\"\(SVG.n(bx))\" y=\"\(SVG.n(y1))\" width=\"\(SVG.n(barW))\" height=\"\(SVG.n(plotH / Double(bands) + 0.6))\" fill=\"\(color((v0 + v1) / 2).fill)\"/>"
            )
        }
        body.append(
            "<rect x=\"\(SVG.n(bx))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(barW))\" height=\"\(SVG.n(plotH))\" fill=\"none\" stroke=\"#888\"/>"
        )
        for (t, label) in zip(barTicks, barLabels) {
            let py = hi > lo ? top + plotH * (1 - (t - lo) / (hi - lo)) : top + plotH / 2
            body.append(SVG.line(bx + barW, py, bx + barW + 4, py, stroke: "#888"))
            body.append(SVG.text(label, x: bx + barW + 7, y: py + 4, size: 11, fill: "#444"))
        }
        let barMid = top + plotH / 2
        let labelX = bx + barW + barLabelW - 4
        body.append(
            SVG.text(
                valueLabel, x: labelX, y: barMid, size: 12, anchor: "middle",
                extra: "transform=\"rotate(90 \(SVG.n(labelX)) \(SVG.n(barMid)))\""))
        if values.flatMap({ $0 }).allSatisfy({ !$0.isFinite }) {
            body.append(
                SVG.text("no data", x: left + plotW / 2, y: top + plotH / 2, size: 14, anchor: "middle", fill: "#999"))
        }
        body.append("</svg>")
        return SVG.open(width: width, height: height, title: title) + "\n" + body.joined(separator: "\n")
    }
}
