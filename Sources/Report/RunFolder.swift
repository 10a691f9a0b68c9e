// RunFolder: reading one run folder of the trainer (config.json, metrics.csv, summary.json, in
// RunRecords' formats) and the curves and summary figures the report plots from it.
import Foundation
import RunRecords

/// The files of one training run. Any of them may be missing (a run still in progress has no
/// summary), but at least one must exist.
public struct RunFolder {
    public let url: URL
    /// `config.json`: the run's settings, shown as they are (any JSON object: the config's
    /// type belongs to Training, above this layer).
    public let config: JSONValue?
    /// `metrics.csv`: one row per logged step (`step`, `wall_seconds`, metric columns).
    public let metrics: CSVTable?
    /// `summary.json`: how the run ended and its final figures (or a failed run's error).
    public let summary: SummaryFile?
    /// The summary's members as the file has them (sorted keys), for the tables and plots
    /// that go over every figure; derived from `summary`.
    public let summaryMembers: JSONValue?

    public static let configFile = "config.json"
    public static let metricsFile = MetricsRow.csvFile
    public static let summaryFile = RunSummary.file

    public init(url: URL, config: JSONValue?, metrics: CSVTable?, summary: SummaryFile?) throws {
        self.url = url; self.config = config; self.metrics = metrics; self.summary = summary
        summaryMembers = try summary?.members()
    }

    /// Loads whichever of the three files exist. Throws `RecordError.missingFile` (naming
    /// metrics.csv) when none exists, and `.malformed` when one cannot be parsed.
    public static func load(_ url: URL) throws -> RunFolder {
        let fm = FileManager.default
        func path(_ name: String) -> URL { url.appendingPathComponent(name) }
        let names = [configFile, metricsFile, summaryFile]
        guard names.contains(where: { fm.fileExists(atPath: path($0).path) }) else {
            throw RecordError.missingFile(path(metricsFile), hint: "\(url.path) holds none of \(names.joined(separator: ", ")); "
                + "pass the output folder of `infomax train` (or a sweep folder with sweep.json), or wait until the run has logged its first step")
        }
        var config: JSONValue? = nil, summary: SummaryFile? = nil, metrics: CSVTable? = nil
        if fm.fileExists(atPath: path(configFile).path) { config = try RecordCoding.read(JSONValue.self, from: path(configFile), hint: "", plain: true) }
        summary = try SummaryFile.read(folder: url)
        if fm.fileExists(atPath: path(metricsFile).path) { metrics = try CSVTable(contentsOf: path(metricsFile)) }
        return try RunFolder(url: url, config: config, metrics: metrics, summary: summary)
    }

    /// (step, value) pairs of a metric column, skipping rows where the metric is empty.
    /// NaN values are kept (they draw as gaps). x is `step`, or the row number without a step column.
    public func curve(_ column: String) -> (x: [Double], y: [Double]) {
        guard let metrics, let values = metrics.numbers(column) else { return ([], []) }
        let steps = metrics.numbers(MetricColumn.step.rawValue) ?? values.indices.map { Double($0) }
        var x: [Double] = [], y: [Double] = []
        for (s, v) in zip(steps, values) {
            guard let s, let v else { continue }
            x.append(s)
            y.append(v)
        }
        return (x, y)
    }

    /// (x, value) pairs of a metric column against another column (e.g. `epoch`), skipping rows
    /// where either is empty.
    public func curve(_ column: String, against xColumn: String) -> (x: [Double], y: [Double]) {
        guard let metrics, let values = metrics.numbers(column), let xs = metrics.numbers(xColumn) else {
            return ([], [])
        }
        var x: [Double] = [], y: [Double] = []
        for (s, v) in zip(xs, values) {
            guard let s, let v else { continue }
            x.append(s)
            y.append(v)
        }
        return (x, y)
    }

    /// Whether every logged row has a value in `column`.
    public func hasEveryRow(_ column: String) -> Bool {
        guard let values = metrics?.numbers(column) else { return false }
        return !values.isEmpty && values.allSatisfy { $0 != nil }
    }

    /// A finite numeric summary figure by its key in summary.json.
    public func summaryNumber(_ key: String) -> Double? { summaryMembers?[key]?.doubleValue.flatMap { $0.isFinite ? $0 : nil } }

    /// Seconds per step from the summary, else from the last `wall_seconds` / `step` of metrics.csv.
    public var secondsPerStep: Double? {
        if let s = summaryNumber("seconds_per_step") { return s }
        let w = curve(MetricColumn.wallSeconds.rawValue)
        guard let step = w.x.last, let wall = w.y.last, step > 0 else { return nil }
        return wall / step
    }
}
