// Chart: what every chart of the report is — a title, an SVG rendering and the plotted data,
// exported as one CSV per chart (ChartDataRow rows).
import RunRecords

/// A chart that renders to a self-contained SVG string and exports the data it plots.
public protocol Chart {
    /// The chart's title (also used to name its data file).
    var title: String { get }
    /// The SVG document (with width, height and viewBox; no scripts, no external resources).
    func svg() -> String
    /// Every plotted value, one row per point: series, x, y, low, high.
    var dataRows: [ChartDataRow] { get }
    /// The plotted data as CSV text (default: columns series,x,y,low,high from `dataRows`).
    func dataCSV() -> String
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
                    r.low.map(NumberText.roundTrip) ?? "", r.high.map(NumberText.roundTrip) ?? ""]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
