// RunFolderReport: the entry point of the HTML report (plus one CSV per chart) of a run folder,
// a sweep folder or a scaling study. It finds which of the three the folder is, has the matching
// builder (RunReportBuilder, SweepReportBuilder, ScalingReportBuilder) list the page's items and
// writes the page and its data files.
import Foundation
import RunRecords

/// Writes the report for a run folder (metrics.csv / summary.json / config.json), a sweep
/// folder (sweep.json) or a scaling study (scaling.json + np-<P>/bench.json; also writes
/// `<folder>/scaling.csv`); returns the HTML file's URL. Default output: `<folder>/report.html`.
/// Each chart's data goes to `<report name>_data/NN-<chart>.csv` next to the HTML.
@discardableResult
public func writeReport(for folder: URL, to output: URL? = nil) throws -> URL {
    try RunFolderReport(folder: folder).write(to: output)
}

/// Builds the report of a run, sweep or scaling-study folder.
public struct RunFolderReport {
    /// One item of the report, in page order.
    public enum Item {
        case section(String)
        case paragraph(String)
        case note(String)
        case table(header: [String], rows: [[String]], caption: String?)
        case chart(Chart, caption: String?)
    }

    /// What a folder holds, by the index file it has (a scaling study's scaling.json wins over
    /// a sweep's sweep.json; neither makes it a run folder).
    public enum Kind: Sendable, Equatable {
        case run, sweep, scalingStudy
    }

    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// Whether `folder` is a sweep (has sweep.json).
    public var isSweep: Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(SweepFolder.file).path)
    }

    /// Whether `folder` is a scaling study (has scaling.json).
    public var isScalingStudy: Bool { ScalingStudy.isStudy(folder) }

    /// What `folder` holds.
    public var kind: Kind { isScalingStudy ? .scalingStudy : isSweep ? .sweep : .run }

    /// The report's title and items.
    public func build() throws -> (title: String, subtitle: String, items: [Item]) {
        let built = try buildWithFiles()
        return (built.title, built.subtitle, built.items)
    }

    /// The report's title and items, plus the data files that go with it (a scaling study's
    /// scaling.csv), as (URL, text).
    func buildWithFiles() throws -> (title: String, subtitle: String, items: [Item], files: [(URL, String)]) {
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw RecordError.missingFile(folder, hint: "the folder does not exist; pass a run folder "
                + "(from `infomax train`), a sweep folder (from `infomax sweep`) "
                + "or a scaling study (from jobs/scaling.sh)")
        }
        let name = folder.lastPathComponent
        switch kind {
        case .scalingStudy:
            let study = try ScalingStudy.load(folder)
            return ("Scaling report — \(name)", Self.stamp(folder), ScalingReportBuilder(study: study).items(),
                    [(folder.appendingPathComponent(ScalingStudy.csvFile), study.csv())])
        case .sweep:
            let sweep = try SweepFolder.load(folder)
            return ("Sweep report — \(name)", Self.stamp(folder), SweepReportBuilder(sweep: sweep).items(), [])
        case .run:
            let run = try RunFolder.load(folder)
            return ("Run report — \(name)", Self.stamp(folder), RunReportBuilder(run: run).items(), [])
        }
    }

    /// Writes the HTML (atomically), the chart data CSVs and a scaling study's scaling.csv;
    /// returns the HTML's URL.
    @discardableResult
    public func write(to output: URL? = nil) throws -> URL {
        let out = output ?? folder.appendingPathComponent("report.html")
        let built = try buildWithFiles()
        for (url, text) in built.files { try AtomicFile.write(text, to: url) }
        let stem = out.deletingPathExtension().lastPathComponent
        let dataFolderName = stem + "_data"
        let dataFolder = out.deletingLastPathComponent().appendingPathComponent(dataFolderName)
        do {
            try FileManager.default.createDirectory(at: dataFolder, withIntermediateDirectories: true)
        } catch {
            throw RecordError.io(dataFolder, operation: "creating the chart data folder", errno: errno)
        }
        var html = HTMLReport(title: built.title, subtitle: built.subtitle)
        var n = 0
        var written: Set<String> = []
        for item in built.items {
            switch item {
            case let .section(s): html.section(s)
            case let .paragraph(p): html.paragraph(p)
            case let .note(p): html.note(p)
            case let .table(h, r, c): html.table(header: h, rows: r, caption: c)
            case let .chart(chart, caption):
                n += 1
                let file = String(format: "%02d-", n) + Self.slug(chart.title) + ".csv"
                try AtomicFile.write(chart.dataCSV(), to: dataFolder.appendingPathComponent(file))
                written.insert(file)
                html.chart(chart, caption: caption, dataLink: dataFolderName + "/" + file)
            }
        }
        try AtomicFile.write(html.render(), to: out)
        Self.removeStaleChartData(in: dataFolder, keeping: written)
        return out
    }

    /// The list of chart CSVs the last report wrote into its data folder: the only files a
    /// later report may remove (a file a person put there is never touched).
    public static let manifestName = ".infomax-report-files"

    /// Removes the chart CSVs that the previous report listed in the folder's manifest and this
    /// one did not write, so the data folder holds exactly the page's charts; then lists this
    /// report's files in the manifest. Files it never wrote stay.
    static func removeStaleChartData(in folder: URL, keeping written: Set<String>) {
        let manifest = folder.appendingPathComponent(manifestName)
        let listed = (try? String(contentsOf: manifest, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        for name in listed where !written.contains(name) && !name.contains("/") && name.hasSuffix(".csv") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        try? AtomicFile.write(written.sorted().joined(separator: "\n") + "\n", to: manifest)
    }

    /// The subtitle: the folder's path and when the report was generated.
    static func stamp(_ folder: URL) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return "\(folder.path) · generated \(f.string(from: Date()))"
    }

    /// A file-name-safe version of a title.
    static func slug(_ s: String) -> String {
        var out = ""
        for c in s.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(c) && c.isASCII {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "chart" : String(trimmed.prefix(60))
    }
}
