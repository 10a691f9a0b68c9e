// SweepReportBuilder+Timings: a sweep's timings in a section of their own after the science —
// wall, compute, communication and logging seconds and the time per step per setting (mean and
// min–max over seeds), the time per step against the swept parameter or per setting, and the
// compute and communication time along training.
import RunRecords

extension SweepReportBuilder {
    /// The timing table's column order: the whole run, its parts, then per step.
    static let timingOrder = [
        "wall_seconds", "compute_seconds", "communication_seconds", "logging_seconds",
        "seconds_per_step",
    ]

    func timingItems() -> [RunFolderReport.Item] {
        let keys = numericSummaryKeys(excluding: Metrics.bookkeeping.filter { !Metrics.isTiming($0) })
            .filter(Metrics.isTiming)
            .sorted { (Self.timingOrder.firstIndex(of: $0) ?? 99) < (Self.timingOrder.firstIndex(of: $1) ?? 99) }
        var constant = ConstantFigures()
        let curves = metricColumns.filter(Metrics.isTiming).filter { !isConstantColumn($0, noting: &constant) }
        guard !keys.isEmpty || !curves.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Timings")]
        let groups = orderedLabels(groupParams)
        let band = seedCount > 1
        if !keys.isEmpty {
            let rows = groups.map { g -> [String] in
                let runs = loaded.filter { label($0, groupParams) == g }.compactMap(\.run)
                return [g, "\(runs.count)"]
                    + keys.map { k in
                        guard let s = Spread(runs.compactMap { $0.summaryNumber(k) }) else { return "" }
                        let mean = NumberText.display(s.mean, digits: 3)
                        guard s.count > 1 else { return mean }
                        let low = NumberText.display(s.low, digits: 3)
                        let high = NumberText.display(s.high, digits: 3)
                        return "\(mean) (\(low)–\(high))"
                    }
            }
            let columns = keys.map { Metrics.info($0).title.lowercased() + " (s)" }
            items.append(
                .table(
                    header: ["setting", "seeds"] + columns,
                    rows: rows, caption: band ? "seconds, mean (min–max) over seeds" : "seconds"))
        }
        let perStep = "seconds_per_step"
        let perStepValues = loaded.map { $0.run?.summaryNumber(perStep) }
        // A scaling sweep charts the time per step against the ranks in its scaling section.
        if keys.contains(perStep), !sweep.parameters.contains("ranks"), ConstantFigures.value(perStepValues) == nil {
            items += timePerStepChart(groups: groups)
        }
        if !constant.isEmpty { items.append(.paragraph(constant.line("Constant along training (not charted)"))) }
        for column in curves {
            let series = groups.compactMap { meanCurve(column, $0, name: $0) }
            guard !series.isEmpty else { continue }
            let info = Metrics.info(column)
            items.append(
                .chart(
                    LineChart(
                        title: info.title + " during training", subtitle: bandNote,
                        xLabel: Metrics.stepAxis, yLabel: info.axis,
                        yScale: Metrics.scale(column, series.flatMap(\.y)), series: series),
                    caption: nil))
        }
        return items
    }

    /// Time per step against the swept parameter, or per setting when no parameter is numeric.
    private func timePerStepChart(groups: [String]) -> [RunFolderReport.Item] {
        let key = "seconds_per_step"
        let info = Metrics.info(key)
        let band = seedCount > 1
        if let x = xParam {
            let seriesParams = groupParams.filter { $0 != x }
            let xValues = Array(Set(loaded.compactMap { $0.value(x)?.doubleValue })).sorted()
            let wide = (xValues.first ?? 0) > 0 && (xValues.last ?? 0) / (xValues.first ?? 1) >= 10
            let series = spreadSeries(of: key, over: x, at: xValues, by: seriesParams, band: band)
            return [
                .chart(
                    LineChart(
                        title: "\(info.title) vs \(Metrics.shortName(x))", subtitle: bandNote,
                        xLabel: Metrics.parameterAxis(x), yLabel: info.axis, xScale: wide ? .log : .linear,
                        yScale: Metrics.scale(key, series.flatMap(\.y)), series: series,
                        xTicks: xValues.count <= 8 ? xValues : nil), caption: nil)
            ]
        }
        let stats = groups.map { g in
            Spread(loaded.filter { label($0, groupParams) == g }.compactMap { $0.run?.summaryNumber(key) })
        }
        let series = BarSeries(
            name: key, values: stats.map { $0?.mean ?? .nan },
            low: stats.map { $0?.low ?? .nan }, high: stats.map { $0?.high ?? .nan })
        return [
            .chart(
                BarChart(
                    title: info.title + " per setting", subtitle: bandNote, yLabel: info.axis,
                    categories: groups, series: [series]), caption: nil)
        ]
    }
}
