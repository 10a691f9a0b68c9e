// RunFolderReport: the HTML report (plus one CSV per chart) for a run folder or a sweep folder.
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

    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// Whether `folder` is a sweep (has sweep.json).
    public var isSweep: Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(SweepFolder.file).path) }

    /// Whether `folder` is a scaling study (has scaling.json).
    public var isScalingStudy: Bool { ScalingStudy.isStudy(folder) }

    /// The report's title and items.
    public func build() throws -> (title: String, subtitle: String, items: [Item]) {
        let built = try buildWithFiles()
        return (built.title, built.subtitle, built.items)
    }

    /// The report's title and items, plus the data files that go with it (a scaling study's
    /// scaling.csv), as (URL, text).
    func buildWithFiles() throws -> (title: String, subtitle: String, items: [Item], files: [(URL, String)]) {
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw RecordError.missingFile(folder, hint: "the folder does not exist; pass a run folder (from `infomax train`), a sweep folder (from `infomax sweep`) "
                + "or a scaling study (from jobs/scaling.sh)")
        }
        if isScalingStudy {
            let study = try ScalingStudy.load(folder)
            return ("Scaling report — \(folder.lastPathComponent)", Self.stamp(folder), ScalingReportBuilder(study: study).items(),
                    [(folder.appendingPathComponent(ScalingStudy.csvFile), study.csv())])
        }
        if isSweep {
            let sweep = try SweepFolder.load(folder)
            return ("Sweep report — \(folder.lastPathComponent)", Self.stamp(folder), SweepReportBuilder(sweep: sweep).items(), [])
        }
        let run = try RunFolder.load(folder)
        return ("Run report — \(folder.lastPathComponent)", Self.stamp(folder), RunReportBuilder(run: run).items(), [])
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
                html.chart(chart, caption: caption, dataLink: dataFolderName + "/" + file)
            }
        }
        try AtomicFile.write(html.render(), to: out)
        return out
    }

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
            if CharacterSet.alphanumerics.contains(c) && c.isASCII { out.unicodeScalars.append(c) } else if !out.hasSuffix("-") { out += "-" }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "chart" : String(trimmed.prefix(60))
    }
}

/// Display names and axis labels of the metrics the trainer writes.
enum Metrics {
    struct Info { let title: String; let axis: String }
    static let known: [String: Info] = [
        "loss": Info(title: "Training loss", axis: "contrastive loss"),
        "final_loss": Info(title: "Final training loss", axis: "contrastive loss"),
        "signal_learning": Info(title: "Signal learning", axis: "max_r ⟨w_r, μ⟩"),
        "noise_memorization": Info(title: "Noise memorization", axis: "mean_i max_r ⟨w_r, ξ_i⟩"),
        "condition_number": Info(title: "Condition number of the representation", axis: "condition number σ_max / σ_min"),
        "subspace_alignment": Info(title: "Subspace alignment", axis: "alignment"),
        "train_accuracy": Info(title: "Train accuracy", axis: "accuracy (fraction correct)"),
        "test_accuracy": Info(title: "Test accuracy", axis: "accuracy (fraction correct)"),
        "compute_seconds": Info(title: "Compute time", axis: "compute time (s)"),
        "communication_seconds": Info(title: "Communication time", axis: "communication time (s)"),
        "seconds_per_step": Info(title: "Time per step", axis: "time per step (s)"),
        "wall_seconds": Info(title: "Wall-clock time", axis: "wall-clock time (s)"),
    ]
    /// Preferred display order.
    static let order = ["test_accuracy", "train_accuracy", "loss", "final_loss", "signal_learning", "noise_memorization",
                        "condition_number", "subspace_alignment", "compute_seconds", "communication_seconds", "seconds_per_step"]
    static let stepAxis = "training step"

    static func info(_ key: String) -> Info {
        if let i = known[key] { return i }
        let words = key.replacingOccurrences(of: "_", with: " ")
        return Info(title: words.prefix(1).uppercased() + words.dropFirst(), axis: words)
    }

    static func sorted(_ keys: [String]) -> [String] {
        keys.enumerated().sorted { a, b in
            let ia = order.firstIndex(of: a.element) ?? order.count + a.offset
            let ib = order.firstIndex(of: b.element) ?? order.count + b.offset
            return ia < ib
        }.map(\.element)
    }

    static func isAccuracy(_ key: String) -> Bool { key.contains("accuracy") }

    /// Summary figures that record the run's bookkeeping, not its result: never plotted or tabled
    /// as results.
    static let bookkeeping: Set<String> = ["seed", "steps", "epochs", "steps_completed", "steps_planned", "ranks",
                                           "resumed_from_step", "wall_seconds", "compute_seconds", "communication_seconds"]

    /// The last component of a dotted config key: "signal_noise.snr" → "snr".
    static func shortName(_ parameter: String) -> String {
        parameter.split(separator: ".").last.map(String.init) ?? parameter
    }

    /// The axis label for a sweep parameter.
    static func parameterAxis(_ parameter: String) -> String {
        shortName(parameter) == "snr" ? "signal-to-noise ratio (snr)" : parameter
    }

    /// The y scale for a metric: condition numbers on a log axis (they grow geometrically),
    /// others log only when they span two decades.
    static func scale(_ key: String, _ values: [Double]) -> AxisScale {
        let finite = values.filter { $0.isFinite }
        if key.contains("condition_number"), let lo = finite.min(), lo > 0 { return .log }
        return autoScale(values)
    }

    /// The largest finite value of a run's metric curve and the step where it occurs.
    static func peak(_ run: RunFolder, _ column: String) -> (value: Double, step: Double)? {
        let c = run.curve(column)
        var best: (Double, Double)? = nil
        for (x, y) in zip(c.x, c.y) where y.isFinite && y > (best?.0 ?? -.infinity) { best = (y, x) }
        return best.map { (value: $0.0, step: $0.1) }
    }

    /// Log scale when every value is positive and they span at least two decades.
    /// The value of `column` logged at step 0 (before any update), if any.
    static func atStepZero(_ run: RunFolder, _ column: String) -> Double? {
        let c = run.curve(column)
        guard let i = c.x.firstIndex(of: 0), c.y[i].isFinite else { return nil }
        return c.y[i]
    }

    static func autoScale(_ values: [Double]) -> AxisScale {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max(), lo > 0, hi / lo >= 100 else { return .linear }
        return .log
    }
}

/// Mean, min and max of a list of values (over seeds).
struct Spread {
    let mean: Double, low: Double, high: Double, count: Int
    init?(_ values: [Double]) {
        let v = values.filter { !$0.isNaN }
        guard !v.isEmpty else { return nil }
        mean = v.reduce(0, +) / Double(v.count)
        low = v.min() ?? .nan
        high = v.max() ?? .nan
        count = v.count
    }
}

/// metrics.csv's column names (RunRecords' MetricColumn), as the report looks them up.
private enum C {
    static let step = MetricColumn.step.rawValue, epoch = MetricColumn.epoch.rawValue
    static let wallSeconds = MetricColumn.wallSeconds.rawValue, loss = MetricColumn.loss.rawValue
    static let computeSeconds = MetricColumn.computeSeconds.rawValue, communicationSeconds = MetricColumn.communicationSeconds.rawValue
    static let signalLearning = MetricColumn.signalLearning.rawValue, noiseMemorization = MetricColumn.noiseMemorization.rawValue
    static let conditionNumber = MetricColumn.conditionNumber.rawValue, subspaceAlignment = MetricColumn.subspaceAlignment.rawValue
    static let trainAccuracy = MetricColumn.trainAccuracy.rawValue, testAccuracy = MetricColumn.testAccuracy.rawValue
}

/// The charts and tables of one run.
struct RunReportBuilder {
    let run: RunFolder

    func items() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = []
        if let summary = run.summaryMembers {
            items.append(.section("Summary"))
            items.append(.table(header: ["key", "value"], rows: summary.flattened().map { [$0.key, $0.value] }, caption: nil))
        } else {
            items.append(.note("No \(RunFolder.summaryFile) yet: the run is still going or stopped early. Curves show the steps logged so far."))
        }
        items.append(.section("Training curves"))
        var charts: [RunFolderReport.Item] = []
        let columns = run.metrics?.numericColumns ?? []
        func has(_ c: String) -> Bool { columns.contains(c) && !run.curve(c).x.isEmpty }
        func single(_ key: String, _ subtitle: String? = nil) {
            let c = run.curve(key)
            let info = Metrics.info(key)
            charts.append(.chart(LineChart(title: info.title, subtitle: subtitle, xLabel: Metrics.stepAxis, yLabel: info.axis,
                                           yScale: Metrics.scale(key, c.y), series: [LineSeries(name: key, x: c.x, y: c.y)],
                                           yIncludes: Metrics.isAccuracy(key) ? [0, 1] : []), caption: nil))
        }
        if has(C.loss) { single(C.loss) }
        let sn = [C.signalLearning, C.noiseMemorization].filter(has)
        if !sn.isEmpty {
            let series = sn.map { k -> LineSeries in let c = run.curve(k); return LineSeries(name: Metrics.info(k).title.lowercased(), x: c.x, y: c.y) }
            charts.append(.chart(LineChart(title: "Signal learning vs noise memorization",
                                           subtitle: "signal: max_r ⟨w_r, μ⟩ · noise: mean_i max_r ⟨w_r, ξ_i⟩",
                                           xLabel: Metrics.stepAxis, yLabel: "inner product with the neurons", series: series),
                                 caption: "Learning the signal generalizes; memorizing the noise does not."))
        }
        if has(C.conditionNumber) { single(C.conditionNumber) }
        if has(C.subspaceAlignment) { single(C.subspaceAlignment) }
        let acc = [C.trainAccuracy, C.testAccuracy].filter(has)
        if !acc.isEmpty {
            let series = acc.map { k -> LineSeries in let c = run.curve(k); return LineSeries(name: k == C.trainAccuracy ? "train" : "test", x: c.x, y: c.y) }
            charts.append(.chart(LineChart(title: "Downstream accuracy", xLabel: Metrics.stepAxis, yLabel: "accuracy (fraction correct)",
                                           series: series, references: [.horizontal("chance (0.5)", y: 0.5)], yIncludes: [0, 1]), caption: nil))
        } else if let summary = run.summary {
            let pairs = [("train", run.summaryNumber(C.trainAccuracy)), ("test", run.summaryNumber(C.testAccuracy))].compactMap { n, v in v.map { (n, $0) } }
            if !pairs.isEmpty {
                let name = summary.mode.rawValue
                charts.append(.chart(BarChart(title: "Final downstream accuracy", yLabel: "accuracy (fraction correct)",
                                              categories: pairs.map(\.0), series: [BarSeries(name: name, values: pairs.map(\.1))],
                                              yIncludes: [0, 1]), caption: nil))
            }
        }
        let timing = [C.computeSeconds, C.communicationSeconds].filter(has)
        if !timing.isEmpty {
            let series = timing.map { k -> LineSeries in let c = run.curve(k); return LineSeries(name: k == C.computeSeconds ? "compute" : "communication", x: c.x, y: c.y) }
            charts.append(.chart(LineChart(title: "Compute vs communication time", xLabel: Metrics.stepAxis, yLabel: "time (s)",
                                           series: series), caption: nil))
        }
        let handled: Set<String> = [C.step, C.wallSeconds, C.epoch, C.loss, C.signalLearning, C.noiseMemorization, C.conditionNumber,
                                    C.subspaceAlignment, C.trainAccuracy, C.testAccuracy, C.computeSeconds, C.communicationSeconds]
        for c in columns where !handled.contains(c) && has(c) { single(c) }
        if charts.isEmpty {
            items.append(.note("No metric rows to plot (\(RunFolder.metricsFile) is missing or has no values yet)."))
        }
        items += charts
        if let config = run.config {
            items.append(.section("Configuration"))
            items.append(.table(header: ["setting", "value"], rows: config.flattened().map { [$0.key, $0.value] }, caption: nil))
        }
        return items
    }
}

/// The charts and tables of a sweep: summaries against a parameter, curves per group, scaling.
struct SweepReportBuilder {
    let sweep: SweepFolder

    private var loaded: [SweepFolder.Point] { sweep.points.filter { $0.run != nil } }
    private var groupParams: [String] { sweep.parameters.filter { $0 != "seed" } }
    private var seedCount: Int { Set(sweep.points.map { $0.value("seed")?.displayString ?? "" }).count }
    private var bandNote: String {
        seedCount > 1 ? "mean over \(seedCount) seeds; band = min–max over seeds" : "one seed per point"
    }

    private func isNumeric(_ p: String) -> Bool {
        sweep.points.allSatisfy { if case .number? = $0.value(p) { return true } else { return false } }
    }

    private func distinct(_ p: String) -> Int { Set(sweep.points.map { $0.value(p)?.displayString ?? "" }).count }

    /// A label for a point from the given parameters: "single, snr=0.5".
    private func label(_ point: SweepFolder.Point, _ params: [String]) -> String {
        let parts = params.map { p -> String in
            let v = point.value(p) ?? .null
            if p == "mode" { return v.displayString }
            if case .string = v { return v.displayString }
            return "\(p)=\(v.displayString)"
        }
        return parts.isEmpty ? "all runs" : parts.joined(separator: ", ")
    }

    /// Labels in first-appearance order.
    private func orderedLabels(_ params: [String]) -> [String] {
        var seen: [String] = []
        for p in sweep.points where !seen.contains(label(p, params)) { seen.append(label(p, params)) }
        return seen
    }

    /// The parameter for the x axis of summary charts: `snr` when present, else the first numeric
    /// parameter (other than seed) that varies.
    private var xParam: String? {
        if let snr = groupParams.first(where: { Metrics.shortName($0) == "snr" }), isNumeric(snr), distinct(snr) > 1 { return snr }
        return groupParams.first { isNumeric($0) && distinct($0) > 1 && $0 != "ranks" }
            ?? (groupParams.contains("ranks") && distinct("ranks") > 1 && isNumeric("ranks") ? "ranks" : nil)
    }

    func items() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = []
        let total = sweep.points.count
        items.append(.paragraph("\(total) points over parameters \(sweep.parameters.joined(separator: ", "))"
            + (sweep.scaling.map { "; \($0) scaling study" } ?? "") + "; \(loaded.count) of \(total) have results; \(bandNote)."))
        let missing = sweep.points.filter { $0.run == nil }
        if !missing.isEmpty {
            items.append(.note("\(missing.count) point(s) without results: "
                + missing.prefix(12).map { "\($0.name) (\($0.problem ?? "no results"))" }.joined(separator: "; ")
                + (missing.count > 12 ? "; …" : "") + ". Re-run them, or wait for the sweep to finish, then regenerate this report."))
        }
        if loaded.isEmpty { return items }
        if sweep.parameters.contains("ranks") { items += scalingItems() }
        items += summaryItems()
        items += heatmapItems()
        items += curveItems()
        items += overviewItems()
        return items
    }

    // MARK: summaries against a parameter

    private var summaryKeys: [String] {
        let exclude = Set(sweep.parameters).union(Metrics.bookkeeping).union(sweep.parameters.contains("ranks") ? ["seconds_per_step"] : [])
        let summaries = loaded.compactMap { $0.run?.summaryMembers }
        guard let first = summaries.first?.objectValue else { return [] }
        let keys = first.compactMap { m -> String? in
            if case .number = m.value, !exclude.contains(m.key) { return m.key }
            return nil
        }.filter { k in summaries.allSatisfy { $0[k]?.doubleValue != nil } }
        return Metrics.sorted(keys)
    }

    private func summaryItems() -> [RunFolderReport.Item] {
        let keys = summaryKeys
        guard !keys.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Final results")]
        items += resultsTable(keys)
        if let x = xParam {
            let seriesParams = groupParams.filter { $0 != x }
            let xValues = Array(Set(loaded.compactMap { $0.value(x)?.doubleValue })).sorted()
            let xScale: AxisScale = (xValues.first ?? 0) > 0 && (xValues.last ?? 0) / (xValues.first ?? 1) >= 10 ? .log : .linear
            for key in keys {
                let info = Metrics.info(key)
                var series: [LineSeries] = []
                for name in orderedLabels(seriesParams) {
                    var xs: [Double] = [], ys: [Double] = [], lo: [Double] = [], hi: [Double] = []
                    for xv in xValues {
                        let vals = loaded.filter { label($0, seriesParams) == name && $0.value(x)?.doubleValue == xv }
                            .compactMap { $0.run?.summaryNumber(key) }
                        guard let s = Spread(vals) else { continue }
                        xs.append(xv); ys.append(s.mean); lo.append(s.low); hi.append(s.high)
                    }
                    if !xs.isEmpty { series.append(LineSeries(name: name, x: xs, y: ys, low: seedCount > 1 ? lo : nil, high: seedCount > 1 ? hi : nil, markers: true)) }
                }
                let acc = Metrics.isAccuracy(key)
                items.append(.chart(LineChart(title: "\(info.title) vs \(Metrics.shortName(x))", subtitle: bandNote, xLabel: Metrics.parameterAxis(x),
                                              yLabel: info.axis, xScale: xScale, yScale: acc ? .linear : Metrics.scale(key, series.flatMap(\.y)),
                                              series: series, references: acc ? [.horizontal("chance (0.5)", y: 0.5)] : [],
                                              xTicks: xValues.count <= 8 ? xValues : nil,
                                              yIncludes: acc ? [0, 1] : []), caption: nil))
            }
            items += signalNoiseItems(x: x, xValues: xValues, xScale: xScale, keys: keys)
        }
        // Grouped bars of train/test accuracy per group.
        let accKeys = ["train_accuracy", "test_accuracy"].filter(keys.contains)
        let groups = orderedLabels(groupParams)
        if !accKeys.isEmpty, groups.count <= 16 {
            let series = accKeys.map { key -> BarSeries in
                let stats = groups.map { g in Spread(loaded.filter { label($0, groupParams) == g }.compactMap { $0.run?.summaryNumber(key) }) }
                return BarSeries(name: key == "train_accuracy" ? "train" : "test", values: stats.map { $0?.mean ?? .nan },
                                 low: seedCount > 1 ? stats.map { $0?.low ?? .nan } : nil, high: seedCount > 1 ? stats.map { $0?.high ?? .nan } : nil)
            }
            items.append(.chart(BarChart(title: "Final accuracy per setting", subtitle: seedCount > 1 ? "mean over \(seedCount) seeds; whiskers = min–max" : nil,
                                         yLabel: "accuracy (fraction correct)", categories: groups, series: series, yIncludes: [0, 1]), caption: nil))
        }
        if xParam == nil {
            for key in keys where !accKeys.contains(key) {
                let stats = groups.map { g in Spread(loaded.filter { label($0, groupParams) == g }.compactMap { $0.run?.summaryNumber(key) }) }
                items.append(.chart(BarChart(title: Metrics.info(key).title + " per setting", subtitle: bandNote, yLabel: Metrics.info(key).axis,
                                             categories: groups, series: [BarSeries(name: key, values: stats.map { $0?.mean ?? .nan },
                                                                                    low: stats.map { $0?.low ?? .nan }, high: stats.map { $0?.high ?? .nan })]), caption: nil))
            }
        }
        return items
    }

    /// Mean (min–max) over seeds of every result per setting, plus the peak of the condition
    /// number along training (Ren & Li: it rises, then falls under the full contrastive loss).
    private func resultsTable(_ keys: [String]) -> [RunFolderReport.Item] {
        var columns: [(title: String, value: (RunFolder) -> Double?)] = keys.filter { $0 != "seconds_per_step" }.map { k in
            (Metrics.info(k).title.lowercased(), { $0.summaryNumber(k) })
        }
        // The untrained encoder's downstream accuracy: the baseline every trained figure is measured against.
        if loaded.contains(where: { $0.run.flatMap { Metrics.atStepZero($0, "test_accuracy") } != nil }) {
            columns.insert(("test accuracy at step 0 (untrained)", { Metrics.atStepZero($0, "test_accuracy") }),
                           at: columns.firstIndex { $0.title.contains("test accuracy") }.map { $0 + 1 } ?? columns.count)
        }
        if loaded.contains(where: { $0.run.flatMap { Metrics.peak($0, "condition_number") } != nil }) {
            columns.append(("peak condition number", { Metrics.peak($0, "condition_number")?.value }))
            columns.append(("step of the peak", { Metrics.peak($0, "condition_number")?.step }))
        }
        guard !columns.isEmpty else { return [] }
        let rows = orderedLabels(groupParams).map { g -> [String] in
            let runs = loaded.filter { label($0, groupParams) == g }.compactMap(\.run)
            return [g, "\(runs.count)"] + columns.map { c in
                guard let s = Spread(runs.compactMap(c.value)) else { return "" }
                let mean = NumberText.display(s.mean, digits: 3)
                return s.count > 1 ? "\(mean) (\(NumberText.display(s.low, digits: 3))–\(NumberText.display(s.high, digits: 3)))" : mean
            }
        }
        return [.table(header: ["setting", "seeds"] + columns.map(\.title), rows: rows,
                       caption: seedCount > 1 ? "mean (min–max) over seeds" : nil)]
    }

    /// Signal learning and noise memorization against the x parameter on one chart per setting,
    /// and their ratio: noise memorization overtakes signal learning where the ratio exceeds 1.
    private func signalNoiseItems(x: String, xValues: [Double], xScale: AxisScale, keys: [String]) -> [RunFolderReport.Item] {
        guard keys.contains("signal_learning"), keys.contains("noise_memorization") else { return [] }
        let seriesParams = groupParams.filter { $0 != x }
        let band = seedCount > 1
        func curve(_ name: String, _ shown: String, _ value: @escaping (RunFolder) -> Double?, color: String? = nil) -> LineSeries? {
            var xs: [Double] = [], ys: [Double] = [], lo: [Double] = [], hi: [Double] = []
            for xv in xValues {
                let vals = loaded.filter { label($0, seriesParams) == name && $0.value(x)?.doubleValue == xv }.compactMap { $0.run.flatMap(value) }
                guard let s = Spread(vals) else { continue }
                xs.append(xv); ys.append(s.mean); lo.append(s.low); hi.append(s.high)
            }
            return xs.isEmpty ? nil : LineSeries(name: shown, x: xs, y: ys, low: band ? lo : nil, high: band ? hi : nil, color: color, markers: true)
        }
        var items: [RunFolderReport.Item] = []
        let ticks = xValues.count <= 8 ? xValues : nil
        let names = orderedLabels(seriesParams)
        for name in names.prefix(6) {
            let series = [curve(name, "signal learning", { $0.summaryNumber("signal_learning") }, color: Palette.color(0)),
                          curve(name, "noise memorization", { $0.summaryNumber("noise_memorization") }, color: Palette.color(1))].compactMap { $0 }
            items.append(.chart(LineChart(title: "Signal learning vs noise memorization — \(name)", subtitle: bandNote,
                                          xLabel: Metrics.parameterAxis(x), yLabel: "inner product with the neurons", xScale: xScale,
                                          series: series, xTicks: ticks, yIncludes: [0]),
                                caption: "signal: max_r ⟨w_r, μ⟩ · noise: mean_i max_r ⟨w_r, ξ_i⟩ at the end of training"))
        }
        let ratio = names.compactMap { n in
            curve(n, n, { r in
                guard let s = r.summaryNumber("signal_learning"), let m = r.summaryNumber("noise_memorization"), s > 0 else { return nil }
                return m / s
            })
        }
        if !ratio.isEmpty {
            items.append(.chart(LineChart(title: "Noise memorization / signal learning vs \(Metrics.shortName(x))", subtitle: bandNote,
                                          xLabel: Metrics.parameterAxis(x), yLabel: "noise memorization / signal learning", xScale: xScale,
                                          yScale: Metrics.autoScale(ratio.flatMap(\.y) + [1]), series: ratio,
                                          references: [.horizontal("noise = signal", y: 1)], xTicks: ticks, yIncludes: [0, 1]),
                                caption: "Above 1, the encoder has memorized the training noise more than it has learned the signal."))
        }
        return items
    }

    // MARK: heatmaps over two numeric grid keys

    /// The two numeric grid keys (other than seed and ranks) that vary, when there are two or more:
    /// the first along x, the second along y.
    private var heatmapAxes: (x: String, y: String)? {
        let numeric = groupParams.filter { $0 != "ranks" && isNumeric($0) && distinct($0) > 1 }
        guard numeric.count >= 2 else { return nil }
        return (numeric[0], numeric[1])
    }

    /// A metric over two grid keys as coloured grids, mean over seeds: one per setting of the other
    /// keys (e.g. per mode) for the test accuracy, and — when the sweep has both modes — the gap
    /// multi-modal − single-modal of every accuracy, matched by the other keys.
    private func heatmapItems() -> [RunFolderReport.Item] {
        guard let (x, y) = heatmapAxes else { return [] }
        let xs = Array(Set(loaded.compactMap { $0.value(x)?.doubleValue })).sorted()
        let ys = Array(Set(loaded.compactMap { $0.value(y)?.doubleValue })).sorted()
        let rest = groupParams.filter { $0 != x && $0 != y }
        let accKeys = ["test_accuracy", "train_accuracy"].filter { k in loaded.contains { $0.run?.summaryNumber(k) != nil } }
        guard !accKeys.isEmpty else { return [] }
        let xName = Metrics.shortName(x), yName = Metrics.shortName(y)
        var items: [RunFolderReport.Item] = [.section("\(Metrics.info(accKeys[0]).title) over \(xName) × \(yName)")]
        func cell(_ points: [SweepFolder.Point], _ key: String, _ xv: Double, _ yv: Double) -> Spread? {
            Spread(points.filter { $0.value(x)?.doubleValue == xv && $0.value(y)?.doubleValue == yv }.compactMap { $0.run?.summaryNumber(key) })
        }
        func detail(_ s: Spread?) -> String {
            guard let s else { return "" }
            return s.count > 1 ? "min \(NumberText.display(s.low, digits: 3)), max \(NumberText.display(s.high, digits: 3)) over \(s.count) seeds" : "1 seed"
        }
        func label(_ v: Double) -> String { NumberText.display(v, digits: 4) }
        let settings = orderedLabels(rest)
        let note = seedCount > 1 ? "mean over \(seedCount) seeds; hover a cell for min–max" : "one seed per point"
        // The gap multi − single, when the mode is one of the other keys.
        let modeValues = Set(loaded.compactMap { $0.value("mode")?.displayString })
        if rest.contains("mode"), modeValues.contains("multi-modal"), modeValues.contains("single-modal") {
            let others = rest.filter { $0 != "mode" }
            for g in orderedLabels(others).prefix(6) {
                let inGroup = loaded.filter { self.label($0, others) == g }
                for key in accKeys.prefix(1) {
                    var values: [[Double]] = [], details: [[String]] = []
                    for yv in ys {
                        var row: [Double] = [], drow: [String] = []
                        for xv in xs {
                            // Paired by seed: the gap of each seed, then the mean over seeds.
                            let here = inGroup.filter { $0.value(x)?.doubleValue == xv && $0.value(y)?.doubleValue == yv }
                            var gaps: [Double] = []
                            for m in here where m.value("mode")?.displayString == "multi-modal" {
                                let seed = m.value("seed")?.displayString
                                if let a = m.run?.summaryNumber(key),
                                   let b = here.first(where: { $0.value("mode")?.displayString == "single-modal" && $0.value("seed")?.displayString == seed })?.run?.summaryNumber(key) {
                                    gaps.append(a - b)
                                }
                            }
                            let s = Spread(gaps)
                            row.append(s?.mean ?? .nan); drow.append(detail(s))
                        }
                        values.append(row); details.append(drow)
                    }
                    let what = key == "test_accuracy" ? "test" : "train"
                    items.append(.chart(HeatmapChart(title: "Gap in \(what) accuracy, multi-modal − single-modal" + (others.isEmpty ? "" : " — \(g)"),
                                                     subtitle: note + "; red = multi-modal better", xLabel: Metrics.parameterAxis(x), yLabel: Metrics.parameterAxis(y),
                                                     columns: xs.map(label), rows: ys.map(label), values: values, details: details,
                                                     valueLabel: "\(what) accuracy gap", diverging: true),
                                        caption: "Each cell: \(what) accuracy of the multi-modal run minus that of the single-modal run with the same seed, averaged over seeds."))
                }
            }
        }
        for g in settings.prefix(8) {
            let inGroup = loaded.filter { self.label($0, rest) == g }
            let key = accKeys[0]
            let stats = ys.map { yv in xs.map { xv in cell(inGroup, key, xv, yv) } }
            items.append(.chart(HeatmapChart(title: "\(Metrics.info(key).title)" + (rest.isEmpty ? "" : " — \(g)"), subtitle: note,
                                             xLabel: Metrics.parameterAxis(x), yLabel: Metrics.parameterAxis(y),
                                             columns: xs.map(label), rows: ys.map(label), values: stats.map { $0.map { $0?.mean ?? .nan } },
                                             details: stats.map { $0.map(detail) }, valueLabel: Metrics.info(key).axis,
                                             range: Metrics.isAccuracy(key) ? (0.5, 1) : nil), caption: nil))
        }
        return items
    }

    // MARK: training curves per group

    private func curveItems() -> [RunFolderReport.Item] {
        var columns: [String] = []
        for p in loaded { for c in p.run?.metrics?.numericColumns ?? [] where !columns.contains(c) { columns.append(c) } }
        columns = Metrics.sorted(columns.filter { ![C.step, C.wallSeconds, C.epoch].contains($0) })
        guard !columns.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Training curves per setting")]
        let groups = orderedLabels(groupParams)
        let band = seedCount > 1
        /// Mean (band min–max) over seeds of a column along training for one group.
        func meanCurve(_ column: String, _ g: String, name: String, color: String? = nil) -> LineSeries? {
            var byStep: [Double: [Double]] = [:]
            for p in loaded where label(p, groupParams) == g {
                guard let run = p.run else { continue }
                let c = run.curve(column)
                for (x, y) in zip(c.x, c.y) { byStep[x, default: []].append(y) }
            }
            guard !byStep.isEmpty else { return nil }
            let steps = byStep.keys.sorted()
            let stats = steps.map { Spread(byStep[$0] ?? []) }
            return LineSeries(name: name, x: steps, y: stats.map { $0?.mean ?? .nan },
                              low: band ? stats.map { $0?.low ?? .nan } : nil, high: band ? stats.map { $0?.high ?? .nan } : nil, color: color)
        }
        if columns.contains("signal_learning"), columns.contains("noise_memorization"), groups.count <= 4 {
            var series: [LineSeries] = []
            for (i, g) in groups.enumerated() {
                if let s = meanCurve("signal_learning", g, name: "\(g) · signal", color: Palette.color(2 * i)) { series.append(s) }
                if let s = meanCurve("noise_memorization", g, name: "\(g) · noise", color: Palette.color(2 * i + 1)) { series.append(s) }
            }
            items.append(.chart(LineChart(title: "Signal learning vs noise memorization during training", subtitle: bandNote,
                                          xLabel: Metrics.stepAxis, yLabel: "inner product with the neurons", series: series),
                                caption: "signal: max_r ⟨w_r, μ⟩ · noise: mean_i max_r ⟨w_r, ξ_i⟩. Learning the signal generalizes; memorizing the noise does not."))
        }
        for column in columns {
            let series = groups.compactMap { meanCurve(column, $0, name: $0) }
            guard !series.isEmpty else { continue }
            let info = Metrics.info(column)
            let acc = Metrics.isAccuracy(column)
            items.append(.chart(LineChart(title: info.title + " during training", subtitle: bandNote, xLabel: Metrics.stepAxis, yLabel: info.axis,
                                          yScale: acc ? .linear : Metrics.scale(column, series.flatMap(\.y)), series: series,
                                          yIncludes: acc ? [0, 1] : []), caption: nil))
        }
        return items
    }

    // MARK: scaling

    private func scalingItems() -> [RunFolderReport.Item] {
        let kind = sweep.scaling.flatMap(ScalingKind.init(text:)) ?? .strong
        let seriesParams = groupParams.filter { $0 != "ranks" }
        let ranks = Array(Set(loaded.compactMap { $0.value("ranks")?.doubleValue })).sorted()
        guard !ranks.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Scaling (\(kind.rawValue))")]
        if sweep.scaling == nil { items.append(.note("sweep.json has no `scaling` key; assuming strong scaling (fixed global problem). Add \"scaling\": \"weak\" for a weak-scaling study.")) }
        var timeSeries: [LineSeries] = [], effSeries: [LineSeries] = [], refs: [ReferenceLine] = [], commSeries: [LineSeries] = []
        let names = orderedLabels(seriesParams)
        for (i, name) in names.enumerated() {
            let shown = seriesParams.isEmpty ? "measured" : name
            var xs: [Double] = [], t: [Double] = [], tlo: [Double] = [], thi: [Double] = [], comm: [Double] = []
            for r in ranks {
                let points = loaded.filter { label($0, seriesParams) == name && $0.value("ranks")?.doubleValue == r }
                guard let s = Spread(points.compactMap { $0.run?.secondsPerStep }) else { continue }
                xs.append(r); t.append(s.mean); tlo.append(s.low); thi.append(s.high)
                let shares = points.compactMap { p -> Double? in
                    guard let run = p.run else { return nil }
                    let c = run.curve(C.communicationSeconds).y.filter { $0.isFinite }, k = run.curve(C.computeSeconds).y.filter { $0.isFinite }
                    guard !c.isEmpty, !k.isEmpty else { return nil }
                    let cm = c.reduce(0, +) / Double(c.count), km = k.reduce(0, +) / Double(k.count)
                    return cm + km > 0 ? cm / (cm + km) : nil
                }
                comm.append(Spread(shares)?.mean ?? .nan)
            }
            guard let p0 = xs.first, let t0 = t.first else { continue }
            let color = Palette.color(i)
            timeSeries.append(LineSeries(name: shown, x: xs, y: t, low: tlo, high: thi, color: color, markers: true))
            let eff: ([Double]) -> [Double] = { ts in zip(xs, ts).map { kind.efficiency(p0: p0, t0: t0, p: $0, t: $1) } }
            effSeries.append(LineSeries(name: shown, x: xs, y: eff(t), low: eff(thi), high: eff(tlo), color: color, markers: true))
            if i < 2 {
                refs.append(ScalingCharts.idealLine(kind, ranks: xs, p0: p0, t0: t0, name: "ideal" + (names.count > 1 ? " (\(name))" : ""),
                                                    color: i == 0 ? "#666666" : "#aaaaaa"))
            }
            if comm.contains(where: { $0.isFinite }) { commSeries.append(LineSeries(name: shown, x: xs, y: comm, color: color, markers: true)) }
        }
        items.append(.chart(ScalingCharts.timePerStep(kind, ranks: ranks, series: timeSeries, ideal: refs, note: "band = min–max"), caption: nil))
        items.append(.chart(ScalingCharts.efficiency(kind, ranks: ranks, series: effSeries), caption: nil))
        if !commSeries.isEmpty {
            items.append(.chart(LineChart(title: "Communication share vs ranks", subtitle: "communication / (compute + communication), mean over logged steps",
                                          xLabel: ScalingCharts.ranksAxis, yLabel: "share of step time", xScale: .log, series: commSeries,
                                          xTicks: ranks, yIncludes: [0, 1]), caption: nil))
        }
        return items
    }

    // MARK: overview table

    private func overviewItems() -> [RunFolderReport.Item] {
        let keys = ["status"] + Metrics.sorted(Set(loaded.flatMap { $0.run?.summaryMembers?.objectValue?.map(\.key) ?? [] }).sorted()
            .filter { k in loaded.contains { $0.run?.summaryMembers?[k]?.doubleValue != nil } && !sweep.parameters.contains(k) })
        let header = ["point"] + sweep.parameters + keys
        let rows = sweep.points.prefix(500).map { p -> [String] in
            [p.name] + sweep.parameters.map { p.value($0)?.displayString ?? "" }
                + keys.map { k in
                    if k == "status" { return p.run?.summary?.status.rawValue ?? (p.run == nil ? (p.problem ?? "missing") : "running") }
                    return p.run?.summaryNumber(k).map { NumberText.display($0, digits: 4) } ?? ""
                }
        }
        return [.section("All points"), .table(header: header, rows: rows, caption: sweep.points.count > 500 ? "first 500 of \(sweep.points.count) points" : nil)]
    }
}
