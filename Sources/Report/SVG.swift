// SVG: the text building blocks every chart renders with — escaping, coordinates, text
// fitting, the chart frame and grid lines, the document's opening tag and its clip path ids.
import Foundation

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
