// PanelFigure: several line charts side by side in one SVG figure — lettered panels sharing one
// legend above them, as a paper draws a multi-panel figure (Huang et al.'s Figure 1: loss, test
// accuracy, signal learning and noise memorization against the epoch, one line per modality).
import RunRecords

/// A row (or grid) of `LineChart` panels with one shared legend, rendered as one SVG.
public struct PanelFigure: Chart {
    public var title: String
    /// A line under the title (what the bands are).
    public var subtitle: String?
    /// The panels, left to right then top to bottom; their own legends are not drawn.
    public var panels: [LineChart]
    /// Panels per row.
    public var columns: Int
    public var panelWidth: Double
    public var panelHeight: Double

    public init(title: String, subtitle: String? = nil, panels: [LineChart], columns: Int = 4,
                panelWidth: Double = 300, panelHeight: Double = 290) {
        self.title = title; self.subtitle = subtitle; self.panels = panels
        self.columns = max(1, columns); self.panelWidth = panelWidth; self.panelHeight = panelHeight
    }

    /// Height of the title, subtitle and legend above the panels.
    private var header: Double { subtitle == nil ? 56 : 72 }
    private var rowCount: Int { max(1, (panels.count + columns - 1) / columns) }
    public var width: Double { panelWidth * Double(min(columns, max(1, panels.count))) }
    public var height: Double { header + panelHeight * Double(rowCount) }

    /// Every panel's points; the series name is prefixed with the panel's title ("(a) Training
    /// loss · multi-modal") so the rows of different panels stay apart.
    public var dataRows: [ChartDataRow] {
        panels.flatMap { p in
            p.dataRows.map { r in
                ChartDataRow(series: "\(p.title) · \(r.series)", x: r.x, y: r.y, low: r.low, high: r.high)
            }
        }
    }

    /// CSV with a `panel` column (the panel's title) before series,x,y,low,high.
    public func dataCSV() -> String {
        var out = "panel,series,x,y,low,high\n"
        for p in panels {
            for r in p.dataRows {
                out += [CSVField.text(p.title).rendered, CSVField.text(r.series).rendered, CSVField.quoted(r.x),
                        NumberText.roundTrip(r.y), r.low.map(NumberText.roundTrip) ?? "",
                        r.high.map(NumberText.roundTrip) ?? ""].joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// The legend's entries: the first panel's series names and colours (every panel draws the
    /// same series in the same colours).
    private var legend: [(name: String, color: String, band: Bool)] {
        var seen: [(name: String, color: String, band: Bool)] = []
        for p in panels {
            for (i, s) in p.series.enumerated() where !seen.contains(where: { $0.name == s.name }) {
                seen.append((s.name, s.color ?? Palette.color(i), s.low != nil && s.high != nil))
            }
        }
        return seen
    }

    public func svg() -> String {
        var body: [String] = [SVG.text(title, x: 12, y: 24, size: 15, weight: "bold")]
        if let subtitle { body.append(SVG.text(subtitle, x: 12, y: 42, size: 11.5, fill: "#555")) }
        var lx = 12.0
        let ly = header - 14
        for e in legend {
            if e.band {
                body.append("<rect x=\"\(SVG.n(lx))\" y=\"\(SVG.n(ly - 5))\" width=\"22\" height=\"10\" "
                    + "fill=\"\(e.color)\" fill-opacity=\"0.18\"/>")
            }
            body.append(SVG.line(lx, ly, lx + 22, ly, stroke: e.color, width: 2))
            body.append(SVG.text(e.name, x: lx + 28, y: ly + 4, size: 12))
            lx += 28 + SVG.textWidth(e.name) + 24
        }
        for (k, panel) in panels.enumerated() {
            var p = panel
            p.showsLegend = false
            p.titleSize = 13
            p.width = panelWidth
            p.height = panelHeight
            let x = panelWidth * Double(k % columns), y = header + panelHeight * Double(k / columns)
            let parts = p.svgParts()
            body.append("<g transform=\"translate(\(SVG.n(x)) \(SVG.n(y)))\">")
            body.append(parts.defs)
            body.append(parts.body)
            body.append("</g>")
        }
        body.append("</svg>")
        return SVG.open(width: width, height: height, title: title) + "\n" + body.joined(separator: "\n")
    }
}
