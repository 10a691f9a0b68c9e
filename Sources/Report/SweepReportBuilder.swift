// SweepReportBuilder: the items of a sweep's report — Huang et al.'s Figure 1 first when the sweep
// is its setting (+Figure1.swift), final results against the swept parameter (mean over seeds with
// a min–max band), signal vs noise, accuracy per setting, training curves per setting, the timings
// (+Timings.swift) and the table of every point. Figures constant over the data get one line of
// text, no chart. Heatmaps over two grid keys are in +Heatmaps.swift, scaling charts in +Scaling.swift.
import RunRecords

private typealias C = Metrics.Column

/// The charts and tables of a sweep: summaries against a parameter, curves per group, scaling.
struct SweepReportBuilder {
    let sweep: SweepFolder

    /// The points that have results.
    var loaded: [SweepFolder.Point] { sweep.points.filter { $0.run != nil } }
    /// The parameters that tell settings apart (every one but the seed).
    var groupParams: [String] { sweep.parameters.filter { $0 != "seed" } }
    var seedCount: Int { Set(sweep.points.map { $0.value("seed")?.displayString ?? "" }).count }
    var bandNote: String {
        seedCount > 1 ? "mean over \(seedCount) seeds; band = min–max over seeds" : "one seed per point"
    }

    func isNumeric(_ p: String) -> Bool {
        sweep.points.allSatisfy { if case .number? = $0.value(p) { return true } else { return false } }
    }

    func distinct(_ p: String) -> Int { Set(sweep.points.map { $0.value(p)?.displayString ?? "" }).count }

    /// A label for a point from the given parameters: "single, snr=0.5".
    func label(_ point: SweepFolder.Point, _ params: [String]) -> String {
        let parts = params.map { p -> String in
            let v = point.value(p) ?? .null
            if p == SweepFolder.modeParameter { return v.displayString }
            if case .string = v { return v.displayString }
            return "\(p)=\(v.displayString)"
        }
        return parts.isEmpty ? "all runs" : parts.joined(separator: ", ")
    }

    /// Labels in first-appearance order.
    /// One line per label of `params`: the summary figure `key` against the values of
    /// parameter `x`, the mean over the points at each value (with its min–max band when `band`).
    func spreadSeries(of key: String, over x: String, at xValues: [Double], by params: [String], band: Bool)
        -> [LineSeries]
    {
        orderedLabels(params).compactMap { name in
            var xs: [Double] = []
            var ys: [Double] = []
            var lo: [Double] = []
            var hi: [Double] = []
            for xv in xValues {
                let vals = loaded.filter { label($0, params) == name && $0.value(x)?.doubleValue == xv }
                    .compactMap { $0.run?.summaryNumber(key) }
                guard let s = Spread(vals) else { continue }
                xs.append(xv)
                ys.append(s.mean)
                lo.append(s.low)
                hi.append(s.high)
            }
            guard !xs.isEmpty else { return nil }
            return LineSeries(name: name, x: xs, y: ys, low: band ? lo : nil, high: band ? hi : nil, markers: true)
        }
    }

    func orderedLabels(_ params: [String]) -> [String] {
        var seen: [String] = []
        for p in sweep.points where !seen.contains(label(p, params)) { seen.append(label(p, params)) }
        return seen
    }

    /// The parameter for the x axis of summary charts: `snr` when present, else the first numeric
    /// parameter (other than seed) that varies.
    var xParam: String? {
        if let snr = groupParams.first(where: { Metrics.shortName($0) == "snr" }), isNumeric(snr), distinct(snr) > 1 {
            return snr
        }
        return groupParams.first { isNumeric($0) && distinct($0) > 1 && $0 != "ranks" }
            ?? (groupParams.contains("ranks") && distinct("ranks") > 1 && isNumeric("ranks") ? "ranks" : nil)
    }

    func items() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = []
        let total = sweep.points.count
        items.append(
            .paragraph(
                "\(total) points over parameters \(sweep.parameters.joined(separator: ", "))"
                    + (sweep.scaling.map { "; \($0) scaling study" } ?? "")
                    + "; \(loaded.count) of \(total) have results; \(bandNote)"
                    + (seedCount > 1 && drawsFigureOne ? " (Figure 1: mean ± 1 standard deviation)." : ".")))
        let missing = sweep.points.filter { $0.run == nil }
        if !missing.isEmpty {
            items.append(
                .note(
                    "\(missing.count) point(s) without results: "
                        + missing.prefix(12).map { "\($0.name) (\($0.problem ?? "no results"))" }.joined(
                            separator: "; ")
                        + (missing.count > 12 ? "; …" : "")
                        + ". Re-run them, or wait for the sweep to finish, then regenerate this report."))
        }
        if loaded.isEmpty { return items }
        items += figureOneItems()
        if sweep.parameters.contains("ranks") { items += scalingItems() }
        items += summaryItems()
        items += heatmapItems()
        items += curveItems()
        items += timingItems()
        items += overviewItems()
        return items
    }

    // MARK: summaries against a parameter

    /// The numeric summary figures every point with results has, in display order (bookkeeping
    /// and grid keys left out).
    var numericSummaryKeys: [String] { numericSummaryKeys(excluding: Metrics.bookkeeping) }

    /// The numeric summary figures every point with results has, in display order, but the grid
    /// keys and `excluded`.
    func numericSummaryKeys(excluding excluded: Set<String>) -> [String] {
        let exclude = Set(sweep.parameters).union(excluded)
        let summaries = loaded.compactMap { $0.run?.summaryMembers }
        guard let first = summaries.first?.objectValue else { return [] }
        let keys = first.compactMap { m -> String? in
            if case .number = m.value, !exclude.contains(m.key) { return m.key }
            return nil
        }.filter { k in summaries.allSatisfy { $0[k]?.doubleValue != nil } }
        return Metrics.sorted(keys)
    }

    /// The summary figures that are results (timings left out), split into the ones that vary
    /// over the points and the constant ones.
    private var summaryKeys: (varying: [String], constant: ConstantFigures) {
        var constant = ConstantFigures()
        let keys = numericSummaryKeys.filter { !Metrics.isTiming($0) }.filter { k in
            !constant.check(k, loaded.map { $0.run?.summaryNumber(k) })
        }
        return (keys, constant)
    }

    private func summaryItems() -> [RunFolderReport.Item] {
        let (keys, constant) = summaryKeys
        guard !keys.isEmpty || !constant.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Final results")]
        items += resultsTable(keys)
        if !constant.isEmpty { items.append(.paragraph(constant.line("The same at every point (not charted)"))) }
        let band = seedCount > 1
        if let x = xParam {
            let seriesParams = groupParams.filter { $0 != x }
            let xValues = Array(Set(loaded.compactMap { $0.value(x)?.doubleValue })).sorted()
            let wide = (xValues.first ?? 0) > 0 && (xValues.last ?? 0) / (xValues.first ?? 1) >= 10
            let xScale: AxisScale = wide ? .log : .linear
            for key in keys {
                let info = Metrics.info(key)
                let series = spreadSeries(of: key, over: x, at: xValues, by: seriesParams, band: band)
                let acc = Metrics.isAccuracy(key)
                items.append(
                    .chart(
                        LineChart(
                            title: "\(info.title) vs \(Metrics.shortName(x))", subtitle: bandNote,
                            xLabel: Metrics.parameterAxis(x), yLabel: info.axis, xScale: xScale,
                            yScale: acc ? .linear : Metrics.scale(key, series.flatMap(\.y)),
                            series: series,
                            references: acc ? [.horizontal("chance (0.5)", y: 0.5)] : [],
                            xTicks: xValues.count <= 8 ? xValues : nil,
                            yIncludes: acc ? [0, 1] : []), caption: nil))
            }
            items += signalNoiseItems(x: x, xValues: xValues, xScale: xScale, keys: keys)
        }
        // Grouped bars of train/test accuracy per group.
        let accKeys = [C.trainAccuracy, C.testAccuracy].filter(keys.contains)
        let groups = orderedLabels(groupParams)
        func spreads(_ key: String) -> [Spread?] {
            groups.map { g in
                Spread(loaded.filter { label($0, groupParams) == g }.compactMap { $0.run?.summaryNumber(key) })
            }
        }
        if !accKeys.isEmpty, groups.count <= 16 {
            let series = accKeys.map { key -> BarSeries in
                let stats = spreads(key)
                return BarSeries(
                    name: key == C.trainAccuracy ? "train" : "test",
                    values: stats.map { $0?.mean ?? .nan },
                    low: band ? stats.map { $0?.low ?? .nan } : nil,
                    high: band ? stats.map { $0?.high ?? .nan } : nil)
            }
            items.append(
                .chart(
                    BarChart(
                        title: "Final accuracy per setting",
                        subtitle: band ? "mean over \(seedCount) seeds; whiskers = min–max" : nil,
                        yLabel: "accuracy (fraction correct)", categories: groups, series: series,
                        yIncludes: [0, 1]), caption: nil))
        }
        if xParam == nil {
            for key in keys where !accKeys.contains(key) {
                let stats = spreads(key)
                let series = BarSeries(
                    name: key, values: stats.map { $0?.mean ?? .nan },
                    low: stats.map { $0?.low ?? .nan }, high: stats.map { $0?.high ?? .nan })
                items.append(
                    .chart(
                        BarChart(
                            title: Metrics.info(key).title + " per setting", subtitle: bandNote,
                            yLabel: Metrics.info(key).axis, categories: groups, series: [series]),
                        caption: nil))
            }
        }
        return items
    }

    /// Mean (min–max) over seeds of every result per setting, plus the peak of the condition
    /// number along training (Ren & Li: it rises, then falls under the full contrastive loss).
    private func resultsTable(_ keys: [String]) -> [RunFolderReport.Item] {
        var columns: [(title: String, value: (RunFolder) -> Double?)] = keys.filter { $0 != "seconds_per_step" }
            .map { k in (Metrics.info(k).title.lowercased(), { $0.summaryNumber(k) }) }
        // The untrained encoder's downstream accuracy: the baseline every trained figure is compared with.
        if loaded.contains(where: { $0.run.flatMap { Metrics.atStepZero($0, C.testAccuracy) } != nil }) {
            let afterTestAccuracy = columns.firstIndex { $0.title.contains("test accuracy") }.map { $0 + 1 }
            columns.insert(
                ("test accuracy at step 0 (untrained)", { Metrics.atStepZero($0, C.testAccuracy) }),
                at: afterTestAccuracy ?? columns.count)
        }
        if loaded.contains(where: { $0.run.flatMap { Metrics.peak($0, C.conditionNumber) } != nil }) {
            columns.append(("peak condition number", { Metrics.peak($0, C.conditionNumber)?.value }))
            columns.append(("step of the peak", { Metrics.peak($0, C.conditionNumber)?.step }))
        }
        guard !columns.isEmpty else { return [] }
        let rows = orderedLabels(groupParams).map { g -> [String] in
            let runs = loaded.filter { label($0, groupParams) == g }.compactMap(\.run)
            return [g, "\(runs.count)"]
                + columns.map { c in
                    guard let s = Spread(runs.compactMap(c.value)) else { return "" }
                    let mean = NumberText.display(s.mean, digits: 3)
                    guard s.count > 1 else { return mean }
                    return "\(mean) (\(NumberText.display(s.low, digits: 3))–\(NumberText.display(s.high, digits: 3)))"
                }
        }
        return [
            .table(
                header: ["setting", "seeds"] + columns.map(\.title), rows: rows,
                caption: seedCount > 1 ? "mean (min–max) over seeds" : nil)
        ]
    }

    /// Signal learning and noise memorization against the x parameter on one chart per setting,
    /// and their ratio: noise memorization overtakes signal learning where the ratio exceeds 1.
    private func signalNoiseItems(
        x: String, xValues: [Double], xScale: AxisScale,
        keys: [String]
    ) -> [RunFolderReport.Item] {
        guard keys.contains(C.signalLearning), keys.contains(C.noiseMemorization) else { return [] }
        let seriesParams = groupParams.filter { $0 != x }
        let band = seedCount > 1
        func curve(
            _ name: String, _ shown: String, _ value: @escaping (RunFolder) -> Double?,
            color: String? = nil
        ) -> LineSeries? {
            var xs: [Double] = []
            var ys: [Double] = []
            var lo: [Double] = []
            var hi: [Double] = []
            for xv in xValues {
                let vals = loaded.filter { label($0, seriesParams) == name && $0.value(x)?.doubleValue == xv }
                    .compactMap { $0.run.flatMap(value) }
                guard let s = Spread(vals) else { continue }
                xs.append(xv)
                ys.append(s.mean)
                lo.append(s.low)
                hi.append(s.high)
            }
            return xs.isEmpty
                ? nil
                : LineSeries(
                    name: shown, x: xs, y: ys, low: band ? lo : nil, high: band ? hi : nil,
                    color: color, markers: true)
        }
        var items: [RunFolderReport.Item] = []
        let ticks = xValues.count <= 8 ? xValues : nil
        let names = orderedLabels(seriesParams)
        for name in names.prefix(6) {
            let series = [
                curve(
                    name, "signal learning", { $0.summaryNumber(C.signalLearning) },
                    color: Palette.color(0)),
                curve(
                    name, "noise memorization", { $0.summaryNumber(C.noiseMemorization) },
                    color: Palette.color(1)),
            ].compactMap { $0 }
            items.append(
                .chart(
                    LineChart(
                        title: "Signal learning vs noise memorization — \(name)", subtitle: bandNote,
                        xLabel: Metrics.parameterAxis(x), yLabel: "coefficient in w_r − w_r(0)",
                        xScale: xScale, series: series, xTicks: ticks, yIncludes: [0]),
                    caption: "signal: max_r γ_r · noise: mean_i max_r ρ_r,i "
                        + "(coefficients of μ/‖μ‖², ξ_i/‖ξ_i‖² in w_r − w_r(0)) "
                        + "at the end of training"))
        }
        let ratio = names.compactMap { n in
            curve(
                n, n,
                { r in
                    guard let s = r.summaryNumber(C.signalLearning), let m = r.summaryNumber(C.noiseMemorization),
                        s > 0
                    else { return nil }
                    return m / s
                })
        }
        if !ratio.isEmpty {
            items.append(
                .chart(
                    LineChart(
                        title: "Noise memorization / signal learning vs \(Metrics.shortName(x))",
                        subtitle: bandNote, xLabel: Metrics.parameterAxis(x),
                        yLabel: "noise memorization / signal learning", xScale: xScale,
                        yScale: Metrics.autoScale(ratio.flatMap(\.y) + [1]), series: ratio,
                        references: [.horizontal("noise = signal", y: 1)], xTicks: ticks,
                        yIncludes: [0, 1]),
                    caption: "Above 1, the encoder has memorized the training noise more than it has "
                        + "learned the signal."))
        }
        return items
    }

    // MARK: training curves per group

    /// The metric columns of any point's metrics.csv, in display order.
    var metricColumns: [String] {
        var columns: [String] = []
        for p in loaded {
            for c in p.run?.metrics?.numericColumns ?? [] where !columns.contains(c) { columns.append(c) }
        }
        return Metrics.sorted(columns.filter { ![C.step, C.wallSeconds, C.epoch].contains($0) })
    }

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
        let band = seedCount > 1
        return LineSeries(
            name: name, x: steps, y: stats.map { $0?.mean ?? .nan },
            low: band ? stats.map { $0?.low ?? .nan } : nil,
            high: band ? stats.map { $0?.high ?? .nan } : nil, color: color)
    }

    /// Whether `column` holds one value in every row of every run (e.g. the learning rate).
    func isConstantColumn(_ column: String, noting constant: inout ConstantFigures) -> Bool {
        constant.check(column, loaded.flatMap { $0.run?.metrics?.numbers(column) ?? [] })
    }

    /// Curves of the result columns (timings are in their own section; Figure 1's columns are
    /// not drawn again when it is on the page).
    private func curveItems() -> [RunFolderReport.Item] {
        var constant = ConstantFigures()
        let figureOne = drawsFigureOne
        let shown = Set(figureOne ? Self.figureOnePanels.map(\.column) : [])
        let columns = metricColumns.filter { !Metrics.isTiming($0) }
            .filter { !isConstantColumn($0, noting: &constant) }
        guard !columns.isEmpty || !constant.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Training curves per setting")]
        if !constant.isEmpty {
            items.append(.paragraph(constant.line("Constant along training in every run (not charted)")))
        }
        let groups = orderedLabels(groupParams)
        if !figureOne, columns.contains(C.signalLearning), columns.contains(C.noiseMemorization), groups.count <= 4 {
            var series: [LineSeries] = []
            for (i, g) in groups.enumerated() {
                if let s = meanCurve(C.signalLearning, g, name: "\(g) · signal", color: Palette.color(2 * i)) {
                    series.append(s)
                }
                if let s = meanCurve(C.noiseMemorization, g, name: "\(g) · noise", color: Palette.color(2 * i + 1)) {
                    series.append(s)
                }
            }
            items.append(
                .chart(
                    LineChart(
                        title: "Signal learning vs noise memorization during training",
                        subtitle: bandNote, xLabel: Metrics.stepAxis,
                        yLabel: "coefficient in w_r − w_r(0)", series: series),
                    caption: "signal: max_r γ_r · noise: mean_i max_r ρ_r,i "
                        + "(coefficients of μ/‖μ‖², ξ_i/‖ξ_i‖² in w_r − w_r(0)). "
                        + "Learning the signal generalizes; memorizing the noise does not."))
        }
        for column in columns where !shown.contains(column) {
            let series = groups.compactMap { meanCurve(column, $0, name: $0) }
            guard !series.isEmpty else { continue }
            let info = Metrics.info(column)
            let acc = Metrics.isAccuracy(column)
            let yScale: AxisScale = acc ? .linear : Metrics.scale(column, series.flatMap(\.y))
            items.append(
                .chart(
                    LineChart(
                        title: info.title + " during training", subtitle: bandNote,
                        xLabel: Metrics.stepAxis, yLabel: info.axis, yScale: yScale,
                        series: series, yIncludes: acc ? [0, 1] : []), caption: nil))
        }
        return items
    }

    // MARK: overview table

    private func overviewItems() -> [RunFolderReport.Item] {
        let numericKeys = Set(loaded.flatMap { $0.run?.summaryMembers?.objectValue?.map(\.key) ?? [] }).sorted()
            .filter { k in
                loaded.contains { $0.run?.summaryMembers?[k]?.doubleValue != nil } && !sweep.parameters.contains(k)
            }
        // Figures equal at every point are named once in the caption instead of filling a column.
        var constant = ConstantFigures()
        let varying = numericKeys.filter { k in !constant.check(k, loaded.map { $0.run?.summaryNumber(k) }) }
        let keys = ["status"] + Metrics.sorted(varying)
        let header = ["point"] + sweep.parameters + keys
        let rows = sweep.points.prefix(500).map { p -> [String] in
            [p.name] + sweep.parameters.map { p.value($0)?.displayString ?? "" }
                + keys.map { k in
                    if k == "status" {
                        return p.run?.summary?.status.rawValue ?? (p.run == nil ? (p.problem ?? "missing") : "running")
                    }
                    return p.run?.summaryNumber(k).map { NumberText.display($0, digits: 4) } ?? ""
                }
        }
        let parts = [
            sweep.points.count > 500 ? "first 500 of \(sweep.points.count) points" : nil,
            constant.isEmpty ? nil : constant.line("the same at every point"),
        ].compactMap { $0 }
        let caption = parts.isEmpty ? nil : parts.joined(separator: "; ")
        return [.section("All points"), .table(header: header, rows: rows, caption: caption)]
    }
}
