// HTMLReport: one self-contained HTML page (inline CSS and SVG, no scripts, no network)
// assembled from sections, paragraphs, tables and charts. The page never scrolls sideways: charts
// scale to their grid cell, a wide figure takes a whole row, and a table wider than the page
// scrolls inside its own box.
import Foundation
import RunRecords

/// A self-contained HTML document built block by block.
public struct HTMLReport {
    /// One piece of the page, in order.
    public enum Block {
        case section(String)
        case paragraph(String)
        /// A highlighted note (e.g. a warning about missing runs).
        case note(String)
        case table(header: [String], rows: [[String]], caption: String?)
        /// An inline SVG chart with an optional caption and a link to its data file; a wide one
        /// (a multi-panel figure) spans the whole row of the chart grid.
        case chart(svg: String, caption: String?, dataLink: String?, wide: Bool)
    }

    public var title: String
    public var subtitle: String?
    public private(set) var blocks: [Block] = []

    public init(title: String, subtitle: String? = nil) {
        self.title = title
        self.subtitle = subtitle
    }

    public mutating func section(_ heading: String) { blocks.append(.section(heading)) }
    public mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
    public mutating func note(_ text: String) { blocks.append(.note(text)) }
    public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        blocks.append(.table(header: header, rows: rows, caption: caption))
    }
    /// Adds a chart; a `PanelFigure` is wide (a whole row).
    public mutating func chart(_ chart: Chart, caption: String? = nil, dataLink: String? = nil) {
        blocks.append(.chart(svg: chart.svg(), caption: caption, dataLink: dataLink, wide: chart is PanelFigure))
    }
    public mutating func chart(svg: String, caption: String? = nil, dataLink: String? = nil, wide: Bool = false) {
        blocks.append(.chart(svg: svg, caption: caption, dataLink: dataLink, wide: wide))
    }

    /// The page's content width at most (CSS `main{max-width}`); nothing on the page is wider
    /// than its container, so the page is as wide as the window down to `minimumChartCell`.
    static let maxContentWidth = 1320
    /// The narrowest a chart's grid cell gets before the grid drops to fewer columns.
    static let minimumChartCell = 520

    static let css = """
    body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif;color:#222;background:#f4f5f7;margin:0;padding:24px 32px;line-height:1.45}
    main{max-width:1320px;margin:0 auto;min-width:0}
    h1{font-size:24px;margin:0 0 4px}
    .subtitle{color:#555;margin:0 0 18px}
    h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid #d7dbe0}
    p{max-width:900px}
    .note{background:#fff6e0;border-left:4px solid #E69F00;padding:8px 12px;max-width:900px}
    .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(520px,100%),1fr));gap:16px}
    figure{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:0;padding:8px;min-width:0}
    figure.wide{grid-column:1/-1}
    .table-wrap{max-width:100%;overflow-x:auto}
    figure svg{width:100%;height:auto;display:block}
    figcaption{font-size:13px;color:#555;padding:4px 6px}
    figcaption a{color:#0072B2}
    table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 12px}
    caption{text-align:left;font-weight:600;padding:4px 0}
    th,td{border:1px solid #dde1e6;padding:4px 10px;text-align:left;vertical-align:top}
    th{background:#eef1f4}
    td.num{text-align:right;font-variant-numeric:tabular-nums}
    """

    /// The complete HTML document.
    public func render() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(Self.escape(title))</title>\n<style>\n\(Self.css)\n</style>\n</head>\n<body>\n<main>\n"
        out += "<h1>\(Self.escape(title))</h1>\n"
        if let subtitle { out += "<p class=\"subtitle\">\(Self.escape(subtitle))</p>\n" }
        var inGrid = false
        for block in blocks {
            if case .chart = block {
                if !inGrid { out += "<div class=\"charts\">\n"; inGrid = true }
            } else if inGrid {
                out += "</div>\n"
                inGrid = false
            }
            switch block {
            case let .section(h): out += "<h2>\(Self.escape(h))</h2>\n"
            case let .paragraph(p): out += "<p>\(Self.escape(p))</p>\n"
            case let .note(p): out += "<p class=\"note\">\(Self.escape(p))</p>\n"
            case let .table(header, rows, caption):
                out += "<div class=\"table-wrap\"><table>\n"
                if let caption { out += "<caption>\(Self.escape(caption))</caption>\n" }
                // Headers may break after an underscore or a dot (long metric names, dotted keys).
                out += "<tr>" + header.map { "<th>\(Self.breakable($0))</th>" }.joined() + "</tr>\n"
                for row in rows {
                    out += "<tr>" + row.map { cell in
                        CSVTable.number(cell) != nil ? "<td class=\"num\">\(Self.escape(cell))</td>" : "<td>\(Self.escape(cell))</td>"
                    }.joined() + "</tr>\n"
                }
                out += "</table></div>\n"
            case let .chart(svg, caption, link, wide):
                out += (wide ? "<figure class=\"wide\">" : "<figure>") + "\n\(svg)\n"
                if caption != nil || link != nil {
                    out += "<figcaption>" + (caption.map(Self.escape) ?? "")
                    if let link { out += (caption == nil ? "" : " ") + "<a href=\"\(Self.escape(link))\">data (CSV)</a>" }
                    out += "</figcaption>\n"
                }
                out += "</figure>\n"
            }
        }
        if inGrid { out += "</div>\n" }
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// Escapes text for HTML.
    public static func escape(_ s: String) -> String { SVG.escape(s) }

    /// Escaped text with a line-break opportunity (<wbr>) after each `_` and `.`.
    static func breakable(_ s: String) -> String {
        escape(s).replacingOccurrences(of: "_", with: "_<wbr>").replacingOccurrences(of: ".", with: ".<wbr>")
    }
}
