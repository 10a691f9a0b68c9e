// Reading the trainer's output folders: a run folder (config.json, metrics.csv, summary.json)
// and a sweep folder (sweep.json plus one run folder per point), in RunRecords' formats.
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

/// A parameter sweep: `sweep.json` and one run folder per point.
public struct SweepFolder {
    /// One point of the sweep; `run` is nil when its folder has no results yet.
    public struct Point {
        public let name: String
        public let values: [(key: String, value: JSONValue)]
        public let folder: URL
        public let run: RunFolder?
        /// Why `run` is nil, or a load error.
        public let problem: String?

        /// The value of `parameter` at this point.
        public func value(_ parameter: String) -> JSONValue? { values.first { $0.key == parameter }?.value }
    }

    public static let file = SweepIndex.file

    public let url: URL
    public let parameters: [String]
    /// "strong" or "weak" for scaling sweeps (parameter `ranks`), else nil.
    public let scaling: String?
    public let points: [Point]
    public let manifest: SweepIndex

    /// Loads `sweep.json` and every point's run folder. Points without results are kept with
    /// `run == nil` (a sweep still running can be reported); a malformed sweep.json throws.
    public static func load(_ url: URL) throws -> SweepFolder {
        let file = url.appendingPathComponent(Self.file)
        let manifest = try SweepIndex.read(file, hint: "not a sweep folder; pass the output folder of `infomax sweep`, or a run folder with metrics.csv")
        let parameters = manifest.parameters
        var points: [Point] = []
        for p in manifest.points {
            let name = p.name
            let values = manifest.parameters.compactMap { k in p.values[k].map { (key: k, value: $0) } }
            let folderText = p.folder
            let folder = folderText.hasPrefix("/") ? URL(fileURLWithPath: folderText) : url.appendingPathComponent(folderText)
            do {
                let run = try RunFolder.load(folder)
                points.append(Point(name: name, values: values, folder: folder, run: run, problem: nil))
            } catch let e as RecordError {
                if case .missingFile = e {
                    points.append(Point(name: name, values: values, folder: folder, run: nil, problem: "no results yet"))
                } else {
                    points.append(Point(name: name, values: values, folder: folder, run: nil, problem: e.description))
                }
            }
        }
        return SweepFolder(url: url, parameters: parameters, scaling: manifest.scaling?.lowercased(),
                           points: points, manifest: manifest)
    }
}
