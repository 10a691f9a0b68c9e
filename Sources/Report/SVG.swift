// SVG building blocks shared by the charts: escaping, coordinates, palette, the Chart protocol.
import Foundation
import RunRecords

/// A chart that renders to a self-contained SVG string and exports the data it plots.
public protocol Chart {
    /// The chart's title (also used to name its data file).
    var title: String { get }
    /// The SVG document (with width, height and viewBox; no scripts, no external resources).
    func svg() -> String
    /// Every plotted value, one row per point: series, x, y, low, high.
    var dataRows: [ChartDataRow] { get }
}

/// One plotted point of a chart, as exported to CSV.
public struct ChartDataRow: Equatable {
    public var series: String
    public var x: String
    public var y: Double
    public var low: Double?
    public var high: Double?
    public init(series: String, x: String, y: Double, low: Double? = nil, high: Double? = nil) {
        self.series = series; self.x = x; self.y = y; self.low = low; self.high = high
    }
}

extension Chart {
    /// The chart's data as CSV text with columns series,x,y,low,high.
    public func dataCSV() -> String {
        var out = "series,x,y,low,high\n"
        for r in dataRows {
            out += [CSVField.text(r.series).rendered, CSVField.quoted(r.x), NumberText.roundTrip(r.y),
                    r.low.map(NumberText.roundTrip) ?? "", r.high.map(NumberText.roundTrip) ?? ""].joined(separator: ",") + "\n"
        }
        return out
    }
}

/// Colour-blind-safe colours (Okabe & Ito), ordered for a white background.
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A100"]
    /// Colour `i`, cycling.
    public static func color(_ i: Int) -> String { colors[i % colors.count] }
    /// A dash pattern for series beyond the palette's length (so the 9th series differs from the 1st).
    public static func dash(_ i: Int) -> String? { i < colors.count ? nil : ["6 3", "2 3", "8 3 2 3"][(i / colors.count - 1) % 3] }
}

/// Helpers for emitting SVG text.
enum SVG {
    static let font = "font-family=\"Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif\""

    /// Escapes text for XML content and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if c.value < 0x20 && c != "\t" && c != "\n" { continue }  // not allowed in XML 1.0
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A coordinate with one decimal.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        if r == r.rounded() && abs(r) < 1e9 { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    /// Approximate rendered width of `s` at `size` px in a sans-serif font.
    static func textWidth(_ s: String, size: Double = 12) -> Double { Double(s.count) * size * 0.56 }

    /// `s` cut to `maxWidth` px with an ellipsis.
    static func fit(_ s: String, maxWidth: Double, size: Double = 12) -> String {
        guard textWidth(s, size: size) > maxWidth else { return s }
        let keep = max(1, Int(maxWidth / (size * 0.56)) - 1)
        return String(s.prefix(keep)) + "…"
    }

    static func text(_ s: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                     weight: String? = nil, fill: String = "#222", extra: String = "") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
            + (weight.map { " font-weight=\"\($0)\"" } ?? "") + (extra.isEmpty ? "" : " " + extra) + ">\(escape(s))</text>"
    }

    /// What every chart starts with: the title, the subtitle and the plot frame.
    static func chartFrame(title: String, subtitle: String?, titleSize: Double = 15,
                           left: Double, top: Double, plotWidth: Double, plotHeight: Double) -> [String] {
        var out = [text(title, x: left, y: 24, size: titleSize, weight: "bold")]
        if let subtitle { out.append(text(subtitle, x: left, y: 42, size: 11.5, fill: "#555")) }
        out.append("<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" fill=\"#fbfbfb\" stroke=\"#bbbbbb\"/>")
        return out
    }

    /// Horizontal grid lines at the y ticks, with tick marks and labels left of the plot.
    static func yGrid(_ ticks: [Double], labels: [String], map ym: AxisMap, left: Double, plotWidth: Double) -> [String] {
        var out: [String] = []
        for (t, label) in zip(ticks, labels) {
            let py = ym.px(t)
            out.append(line(left, py, left + plotWidth, py, stroke: "#e3e3e3"))
            out.append(line(left - 4, py, left, py, stroke: "#888"))
            out.append(text(label, x: left - 7, y: py + 4, size: 11, anchor: "end", fill: "#444"))
        }
        return out
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    /// Opening tag of a chart document.
    static func open(width: Double, height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
            + "role=\"img\" aria-label=\"\(escape(title))\" \(font)>"
            + "<title>\(escape(title))</title>"
            + "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>"
    }

    /// FNV-1a hash, used to give each chart's clip path a document-unique id.
    static func hash(_ s: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 36)
    }
}

/// Maps data values to pixels along one axis.
struct AxisMap {
    let scale: AxisScale
    let lo: Double, hi: Double      // domain (data units)
    let p0: Double, p1: Double      // pixel positions of lo and hi

    func t(_ v: Double) -> Double { scale == .log ? Foundation.log10(v) : v }
    func drawable(_ v: Double) -> Bool { v.isFinite && (scale == .linear || v > 0) }
    func px(_ v: Double) -> Double {
        let a = t(lo), b = t(hi)
        return b == a ? (p0 + p1) / 2 : p0 + (t(v) - a) / (b - a) * (p1 - p0)
    }

    /// The domain spanned by `ticks`, widened by `fraction` of its length at both ends.
    static func padded(_ ticks: [Double], scale: AxisScale, fraction: Double) -> (lo: Double, hi: Double) {
        let lo = ticks.first ?? (scale == .log ? 1 : 0), hi = ticks.last ?? (scale == .log ? 10 : 1)
        guard fraction > 0, hi > lo else { return (lo, hi) }
        if scale == .log {
            let a = Foundation.log10(lo), b = Foundation.log10(hi), d = (b - a) * fraction
            return (Foundation.pow(10, a - d), Foundation.pow(10, b + d))
        }
        let d = (hi - lo) * fraction
        return (lo - d, hi + d)
    }

    /// Domain and ticks for values on this axis, merged with forced ticks/extra values.
    static func ticks(values: [Double], scale: AxisScale, explicit: [Double]?, include: [Double]) -> [Double] {
        let vals = (values + include).filter { $0.isFinite && (scale == .linear || $0 > 0) }
        if let explicit, !explicit.isEmpty {
            var t = explicit.filter { scale == .linear || $0 > 0 }.sorted()
            if let lo = vals.min(), let f = t.first, lo < f { t.insert(lo, at: 0) }
            if let hi = vals.max(), let l = t.last, hi > l { t.append(hi) }
            return t
        }
        guard let lo = vals.min(), let hi = vals.max() else { return scale == .log ? [1, 10] : [0, 1] }
        return scale == .log ? NiceTicks.log(min: lo, max: hi) : NiceTicks.linear(min: lo, max: hi)
    }
}
