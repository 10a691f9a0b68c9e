// LineChart: named x/y series with optional shaded bands, dashed reference lines, log axes,
// nice ticks, a legend and gaps at NaN, rendered as standalone SVG.
import Foundation
import RunRecords

/// One line of a `LineChart`.
public struct LineSeries {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Lower and upper edge of a shaded band (e.g. min and max over seeds); same length as `x`.
    public var low: [Double]?
    public var high: [Double]?
    /// A CSS colour; nil takes the next palette colour.
    public var color: String?
    /// Draw point markers; nil draws them when the series has at most 30 points.
    public var markers: Bool?

    public init(
        name: String, x: [Double], y: [Double], low: [Double]? = nil, high: [Double]? = nil,
        color: String? = nil, markers: Bool? = nil
    ) {
        self.name = name
        self.x = x
        self.y = y
        self.low = low
        self.high = high
        self.color = color
        self.markers = markers
    }
}

/// A dashed line for comparison (ideal scaling, chance level, a predicted step, …).
public struct ReferenceLine {
    public var name: String
    /// Points of the line; when `x` is empty the line is horizontal at `y[0]` across the plot,
    /// when `y` is empty it is vertical at `x[0]` (`vertical(_:x:color:)`).
    public var x: [Double]
    public var y: [Double]
    public var color: String

    public init(name: String, x: [Double], y: [Double], color: String = "#666666") {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
    }

    /// A horizontal line at `y` spanning the plot.
    public static func horizontal(_ name: String, y: Double, color: String = "#666666") -> ReferenceLine {
        ReferenceLine(name: name, x: [], y: [y], color: color)
    }

    /// A vertical line at `x` spanning the plot, its name written along it. It does not widen the
    /// x axis: outside the plotted range it is not drawn.
    public static func vertical(_ name: String, x: Double, color: String = "#666666") -> ReferenceLine {
        ReferenceLine(name: name, x: [x], y: [], color: color)
    }

    /// Whether this is a vertical line at `x[0]`.
    public var isVertical: Bool { y.isEmpty && x.count == 1 }
}

/// A line chart rendered to SVG.
public struct LineChart: Chart {
    public var title: String
    /// A second, smaller line under the title (what the band means, etc.).
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    public var series: [LineSeries]
    public var references: [ReferenceLine]
    /// Tick positions to use instead of computed nice ticks (e.g. the rank counts 1, 2, 4, 8).
    public var xTicks: [Double]?
    public var yTicks: [Double]?
    /// Values the y axis must include (e.g. [0, 1] for accuracies).
    public var yIncludes: [Double]
    public var width: Double
    public var height: Double
    /// Draw the legend right of the plot; off for the panels of a `PanelFigure`, which has one shared legend.
    public var showsLegend = true
    /// Font size of the title (smaller for panels).
    public var titleSize = 15.0

    public init(
        title: String, subtitle: String? = nil, xLabel: String, yLabel: String,
        xScale: AxisScale = .linear, yScale: AxisScale = .linear,
        series: [LineSeries] = [], references: [ReferenceLine] = [],
        xTicks: [Double]? = nil, yTicks: [Double]? = nil, yIncludes: [Double] = [],
        width: Double = 600, height: Double = 380
    ) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
        self.references = references
        self.xTicks = xTicks
        self.yTicks = yTicks
        self.yIncludes = yIncludes
        self.width = width
        self.height = height
    }

    public var dataRows: [ChartDataRow] {
        var rows: [ChartDataRow] = []
        for s in series {
            for i in 0..<min(s.x.count, s.y.count) {
                let lo = s.low.flatMap { i < $0.count ? $0[i] : nil }
                let hi = s.high.flatMap { i < $0.count ? $0[i] : nil }
                rows.append(ChartDataRow(series: s.name, x: NumberText.roundTrip(s.x[i]), y: s.y[i], low: lo, high: hi))
            }
        }
        for r in references {
            if r.x.isEmpty, let y = r.y.first {
                rows.append(ChartDataRow(series: r.name, x: "", y: y))
            } else if r.isVertical, let x = r.x.first {
                rows.append(ChartDataRow(series: r.name, x: NumberText.roundTrip(x), y: .nan))
            } else {
                for i in 0..<min(r.x.count, r.y.count) {
                    rows.append(ChartDataRow(series: r.name, x: NumberText.roundTrip(r.x[i]), y: r.y[i]))
                }
            }
        }
        return rows
    }

    /// Legend entries; none for a lone plain series (the title already names it).
    private var legendEntries: [(name: String, color: String, dash: String?, band: Bool)] {
        if !showsLegend { return [] }
        if series.count == 1, references.isEmpty, series[0].low == nil { return [] }
        return series.enumerated().map { i, s in
            (s.name, s.color ?? Palette.color(i), Palette.dash(i), s.low != nil && s.high != nil)
        }
            + references.map { ($0.name, $0.color, $0.isVertical ? "2 3" : "6 4", false) }
    }

    public func svg() -> String {
        let parts = svgParts()
        return SVG.open(width: width, height: height, title: title) + "\n" + parts.defs + "\n" + parts.body + "\n</svg>"
    }

    /// The chart's clip-path definition and its drawing, without the enclosing <svg> element (a
    /// `PanelFigure` places them in a group).
    func svgParts() -> (defs: String, body: String) {
        let fontSize = 12.0
        // Domain and ticks.
        var xs: [Double] = []
        var ys: [Double] = []
        for s in series {
            xs += s.x
            ys += s.y
            if let l = s.low { ys += l }
            if let h = s.high { ys += h }
        }
        for r in references where !r.x.isEmpty && !r.isVertical { xs += r.x }
        let hasData = xs.contains { $0.isFinite } && ys.contains { $0.isFinite }
        let xt = AxisMap.ticks(values: xs, scale: xScale, explicit: xTicks, include: [])
        let refYs = references.flatMap { $0.y }
        let yt = AxisMap.ticks(values: ys + refYs, scale: yScale, explicit: yTicks, include: yIncludes)
        let xLabels = NiceTicks.labels(xt)
        let yLabels = NiceTicks.labels(yt)

        // Layout.
        let top = subtitle == nil ? 40.0 : 56.0
        let maxYLabel = yLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 20
        let left = 30 + maxYLabel + 8
        let bottom = 50.0
        let entries = legendEntries
        let legendWidth =
            entries.isEmpty ? 0 : min(190, (entries.map { SVG.textWidth($0.name, size: fontSize) }.max() ?? 0) + 38)
        let right = 16 + legendWidth
        let plotW = max(60, width - left - right)
        let plotH = max(60, height - top - bottom)
        // Explicit ticks sit on data values (sweep points): pad the domain so edge markers show whole.
        let xd = AxisMap.padded(xt, scale: xScale, fraction: xTicks == nil ? 0 : 0.05)
        let yd = AxisMap.padded(yt, scale: yScale, fraction: yTicks == nil ? 0 : 0.05)
        let xm = AxisMap(scale: xScale, lo: xd.lo, hi: xd.hi, p0: left, p1: left + plotW)
        let ym = AxisMap(scale: yScale, lo: yd.lo, hi: yd.hi, p0: top + plotH, p1: top)
        // The pixel of a vertical reference line, nil when it falls outside the plotted range.
        func verticalPX(_ r: ReferenceLine) -> Double? {
            guard r.isVertical, let x = r.x.first, xm.drawable(x), x >= min(xd.lo, xd.hi), x <= max(xd.lo, xd.hi)
            else { return nil }
            return xm.px(x)
        }

        var body: [String] = []
        body += SVG.chartFrame(
            title: title, subtitle: subtitle, titleSize: titleSize, left: left, top: top, plotWidth: plotW,
            plotHeight: plotH)
        // Grid and ticks.
        body += SVG.yGrid(yt, labels: yLabels, map: ym, left: left, plotWidth: plotW)
        for (t, label) in zip(xt, xLabels) {
            let px = xm.px(t)
            body.append(SVG.line(px, top, px, top + plotH, stroke: "#e3e3e3"))
            body.append(SVG.line(px, top + plotH, px, top + plotH + 4, stroke: "#888"))
            body.append(SVG.text(label, x: px, y: top + plotH + 17, size: 11, anchor: "middle", fill: "#444"))
        }
        body.append(SVG.text(xLabel, x: left + plotW / 2, y: height - 12, size: fontSize, anchor: "middle"))
        let yMid = top + plotH / 2
        body.append(
            SVG.text(
                yLabel, x: 16, y: yMid, size: fontSize, anchor: "middle",
                extra: "transform=\"rotate(-90 16 \(SVG.n(yMid)))\""))

        // Data, clipped to the plot area.
        body.append("<g clip-path=\"url(#__CLIP__)\">")
        for (i, s) in series.enumerated() {
            guard let low = s.low, let high = s.high else { continue }
            let color = s.color ?? Palette.color(i)
            var segment: [(Double, Double, Double)] = []
            func flush() {
                if segment.count >= 2 {
                    let upper = segment.map { "\(SVG.n(xm.px($0.0))),\(SVG.n(ym.px($0.2)))" }
                    let lower = segment.reversed().map { "\(SVG.n(xm.px($0.0))),\(SVG.n(ym.px($0.1)))" }
                    body.append(
                        "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
                    )
                } else if let p = segment.first {
                    body.append(
                        SVG.line(xm.px(p.0), ym.px(p.1), xm.px(p.0), ym.px(p.2), stroke: color, width: 6, dash: nil)
                            .replacingOccurrences(of: "/>", with: " stroke-opacity=\"0.25\"/>"))
                }
                segment = []
            }
            for j in 0..<min(s.x.count, low.count, high.count) {
                if xm.drawable(s.x[j]), ym.drawable(low[j]), ym.drawable(high[j]) {
                    segment.append((s.x[j], low[j], high[j]))
                } else {
                    flush()
                }
            }
            flush()
        }
        for r in references {
            if r.x.isEmpty, let y = r.y.first, ym.drawable(y) {
                body.append(SVG.line(left, ym.px(y), left + plotW, ym.px(y), stroke: r.color, width: 1.5, dash: "6 4"))
            } else if r.isVertical {
                if let px = verticalPX(r) {
                    body.append(SVG.line(px, top, px, top + plotH, stroke: r.color, width: 1.5, dash: "2 3"))
                }
            } else {
                body += polylines(xs: r.x, ys: r.y, xm: xm, ym: ym).map {
                    "<path d=\"\($0)\" fill=\"none\" stroke=\"\(r.color)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
                }
            }
        }
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.color(i)
            let dash = Palette.dash(i).map { " stroke-dasharray=\"\($0)\"" } ?? ""
            for d in polylines(xs: s.x, ys: s.y, xm: xm, ym: ym) {
                body.append(
                    "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dash)/>"
                )
            }
            let n = min(s.x.count, s.y.count)
            let drawable = (0..<n).filter { xm.drawable(s.x[$0]) && ym.drawable(s.y[$0]) }
            // Markers on short series, and always on isolated points (which a path cannot show).
            for j in drawable {
                let isolated = (j == 0 || !drawable.contains(j - 1)) && !drawable.contains(j + 1)
                if s.markers ?? (n <= 30) || isolated {
                    body.append(
                        "<circle cx=\"\(SVG.n(xm.px(s.x[j])))\" cy=\"\(SVG.n(ym.px(s.y[j])))\" r=\"3.2\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"1\"/>"
                    )
                }
            }
        }
        body.append("</g>")
        // The vertical lines' names, along them from the top of the plot (outside the clip).
        for r in references {
            guard let px = verticalPX(r) else { continue }
            let at = "\(SVG.n(px - 4)) \(SVG.n(top + 6))"
            // A halo in the plot's colour keeps the name legible where it crosses a curve.
            let halo = "stroke=\"#fbfbfb\" stroke-width=\"3\" paint-order=\"stroke\""
            body.append(
                SVG.text(
                    r.name, x: px - 4, y: top + 6, size: 10, anchor: "end", fill: r.color,
                    extra: "transform=\"rotate(-90 \(at))\" \(halo)"))
        }
        if !hasData {
            body.append(
                SVG.text("no data", x: left + plotW / 2, y: top + plotH / 2, size: 14, anchor: "middle", fill: "#999"))
        }

        // Legend, right of the plot.
        if !entries.isEmpty {
            let lx = left + plotW + 14
            var ly = top + 8
            for e in entries {
                if e.band {
                    body.append(
                        "<rect x=\"\(SVG.n(lx))\" y=\"\(SVG.n(ly - 5))\" width=\"22\" height=\"10\" fill=\"\(e.color)\" fill-opacity=\"0.18\"/>"
                    )
                }
                body.append(SVG.line(lx, ly, lx + 22, ly, stroke: e.color, width: 2, dash: e.dash))
                let shown = SVG.fit(e.name, maxWidth: legendWidth - 34)
                let label = SVG.text(shown, x: lx + 28, y: ly + 4, size: fontSize)
                body.append(shown == e.name ? label : "<g><title>\(SVG.escape(e.name))</title>\(label)</g>")
                ly += 18
            }
        }

        let content = body.joined(separator: "\n")
        let clipID = "clip-" + SVG.hash(title + content)
        let defs =
            "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" "
            + "width=\"\(SVG.n(plotW))\" height=\"\(SVG.n(plotH))\"/></clipPath></defs>"
        return (defs, content.replacingOccurrences(of: "__CLIP__", with: clipID))
    }

    /// Path data for the drawable runs of (x, y), split at NaN / non-positive-on-log points.
    private func polylines(xs: [Double], ys: [Double], xm: AxisMap, ym: AxisMap) -> [String] {
        var out: [String] = []
        var current: [String] = []
        func flush() {
            if current.count >= 2 { out.append("M" + current.joined(separator: " L")) }
            current = []
        }
        for j in 0..<min(xs.count, ys.count) {
            if xm.drawable(xs[j]) && ym.drawable(ys[j]) {
                current.append("\(SVG.n(xm.px(xs[j]))) \(SVG.n(ym.px(ys[j])))")
            } else {
                flush()
            }
        }
        flush()
        return out
    }
}
